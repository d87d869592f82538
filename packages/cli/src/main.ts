#!/usr/bin/env node
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  type Aggregation,
  DEFAULT_ADAPTIVE_RULE,
  DEFAULT_CLUSTER_OPTIONS,
  DEFAULT_POLICY,
  DEFAULT_TARGET,
  DEFAULT_THRESHOLD_OPTIONS,
} from "@facerec/gallery";
import { CorruptLogError, FolderLockedError } from "@facerec/storage";
import { FaceEngine, ImageError, ModelPackError, sharedDir } from "@facerec/vision";
import { auditVerifyCommand, dataDir, dbCommand, keysCommand, repairCommand } from "./commands/admin.js";
import { calibrate } from "./commands/calibrate.js";
import { calibrateLiveness, formatLivenessCalibration } from "./commands/calibrate-liveness.js";
import { evalChallenge, formatChallenge } from "./commands/eval-challenge.js";
import { evalCluster, formatCluster } from "./commands/eval-cluster.js";
import { evalFeedback, formatFeedback } from "./commands/eval-feedback.js";
import { evalIdentify, formatIdentify } from "./commands/eval-identify.js";
import { evalLfw, formatLfw } from "./commands/eval-lfw.js";
import { evalPad, formatPad } from "./commands/eval-pad.js";
import { quantizeModel } from "./commands/quantize.js";
import { compareCommand, detectCommand, embedCommand } from "./commands/single.js";
import { EmbeddingCache } from "./embedding-cache.js";
import { type EngineFlags, engineConfig, engineOptionSpec } from "./engine-options.js";
import { parseNumber, UsageError } from "./usage.js";

const USAGE = `facerec: face detection, recognition and evaluation

usage:
  facerec detect IMAGE [--out annotated.png]
  facerec embed IMAGE
  facerec compare A B [--threshold T]
  facerec eval lfw --root DIR --pairs FILE [--train-pairs FILE] [--roc PREFIX] [--json]
  facerec eval pad --root DIR --real LIST --spoof LIST [--model NAME] [--head] [--track N] [--json]
                   [--sessions] [--shifts] [--photos DIR [--photo-count N] [--photo-offset K]]
                   (leave a capture session out; the operating threshold under light, lens and
                   encoding shifts; the share of real photos under DIR it refuses)
  facerec eval challenge --root DIR [--subjects N] [--json]   (photo attacks on the active liveness check; ORL's png folder)
  facerec train liveness-head --root DIR --real LIST --spoof LIST --out FILE   (a head on both liveness models' features, for FACEREC_LIVENESS_HEAD)
  facerec eval identify --root DIR [--enroll N] [--aggregation centroid|max|mean-top2] [--index exact|ann] [--asnorm K [--search-rules]]
                        [--people LIST] [--json]   (LIST: only those people, e.g. LFW's peopleDevTest.txt)
  facerec eval cluster --root DIR [--min-images N] [--join T] [--merge T] [--sweep] [--json]
  facerec eval feedback --root DIR [--min-images N] [--enroll N] [--json]
  facerec calibrate --root DIR --people FILE [--impostor-pairs N] [--json]
  facerec calibrate liveness --real DIR --attack DIR [--apcer 0.05] [--json]
                   (the liveness threshold on your own cameras' real and attack shots, checked on
                   captures it was not fitted on)
  facerec models quantize [--root DIR] [--people FILE] [--count 300] [--keep-float 0,-1] [--quantile Q]
                   (the embedder as int8, calibrated on the first image of COUNT people of FILE,
                   LFW's peopleDevTrain.txt by default; written to the model cache as the model
                   <id>-int8, for --embedder)
  facerec keys create --tenant T --scopes admin,enrol,recognise,audit [--name N] [--data DIR]
  facerec keys list --tenant T [--data DIR]
  facerec keys revoke --tenant T --id KEY_ID [--data DIR]
  facerec audit verify [--tenant T] [--data DIR]   (every tenant's chain; exit 1 when one is broken)
  facerec db migrate|status   (apply or list the schema migrations of DATABASE_URL)
  facerec repair [--data DIR] (keep what verifies of damaged state files; run with the product stopped)

--data DIR is the product's state folder (FACEREC_DATA, default ./data).

evaluation options:
  --no-cache          embed every image again instead of reusing ~/.cache/facerec/embeddings
  --impostor-weight W, --agreement-weight W, --max-shift S, --cohort N   the adaptive threshold rule

engine options (every command):
  --detector ID       ultraface (default), yunet, scrfd_500m
  --landmarks ID      landmarks68, or "detector" to align on the detector's five points
                      (the default for detectors that give them: yunet, scrfd_500m)
  --embedder ID       arcface512 (default), mobilefacenet128
  --liveness ID       liveness128 (default), minifasnet, none
  --flip              add the mirrored crop's embedding
  --threads N         ONNX Runtime threads per inference
  --concurrency N     images in flight during evaluation (default 2)
  --min-face PX       smallest face kept (default 20)
  --score-threshold S detector confidence (default 0.7)
`;

function parseCommandLine() {
  return parseArgs({
    allowPositionals: true,
    options: {
      ...engineOptionSpec,
      out: { type: "string" },
      threshold: { type: "string" },
      root: { type: "string" },
      pairs: { type: "string" },
      "train-pairs": { type: "string" },
      roc: { type: "string" },
      real: { type: "string" },
      spoof: { type: "string" },
      model: { type: "string" },
      json: { type: "boolean" },
      enroll: { type: "string" },
      aggregation: { type: "string" },
      index: { type: "string" },
      asnorm: { type: "string" },
      "search-rules": { type: "boolean" },
      "impostor-weight": { type: "string" },
      "agreement-weight": { type: "string" },
      "max-shift": { type: "string" },
      cohort: { type: "string" },
      people: { type: "string" },
      "impostor-pairs": { type: "string" },
      "min-images": { type: "string" },
      subjects: { type: "string" },
      join: { type: "string" },
      merge: { type: "string" },
      sweep: { type: "boolean" },
      head: { type: "boolean" },
      track: { type: "string" },
      sessions: { type: "boolean" },
      shifts: { type: "boolean" },
      photos: { type: "string" },
      "photo-count": { type: "string" },
      "photo-offset": { type: "string" },
      attack: { type: "string" },
      apcer: { type: "string" },
      "no-cache": { type: "boolean" },
      count: { type: "string" },
      "keep-float": { type: "string" },
      quantile: { type: "string" },
      data: { type: "string" },
      tenant: { type: "string" },
      name: { type: "string" },
      scopes: { type: "string" },
      id: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

type Values = ReturnType<typeof parseCommandLine>["values"];

function required(values: Values, name: keyof Values): string {
  const v = values[name];
  if (typeof v !== "string") throw new UsageError(`--${name} is required`);
  return v;
}

function numberFlag(values: Values, name: keyof Values, fallback: number): number {
  return parseNumber(name, values[name], fallback);
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine();
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0] ?? "bad arguments");
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return;
  }
  const concurrency = numberFlag(values, "concurrency", 2);
  const config = engineConfig(values as EngineFlags);
  const print = (result: unknown, text?: string): void => {
    process.stdout.write(values.json || !text ? `${JSON.stringify(result, null, values.json ? 0 : 2)}\n` : `${text}\n`);
  };
  if (command === "keys") {
    return print(
      await keysCommand(args[0], {
        data: dataDir(values.data),
        ...(values.tenant ? { tenant: values.tenant } : {}),
        ...(values.name ? { name: values.name } : {}),
        ...(values.scopes ? { scopes: values.scopes } : {}),
        ...(values.id ? { id: values.id } : {}),
      }),
    );
  }
  if (command === "db") return print(await dbCommand(args[0]));
  if (command === "models" && args[0] === "quantize") {
    const lfw = join(sharedDir(), "data", "lfw");
    return print(
      await quantizeModel({
        root: values.root ?? join(lfw, "lfw-deepfunneled"),
        people: values.people ?? join(lfw, "peopleDevTrain.txt"),
        count: numberFlag(values, "count", 300),
        ...(values["keep-float"]
          ? { keepFloat: values["keep-float"].split(",").map((v) => parseNumber("keep-float", v, 0)) }
          : {}),
        ...(values.quantile ? { quantile: parseNumber("quantile", values.quantile, 1) } : {}),
        flags: values as EngineFlags,
      }),
    );
  }
  if (command === "repair") return print(repairCommand(dataDir(values.data)));
  if (command === "audit" && args[0] === "verify") {
    const result = await auditVerifyCommand(dataDir(values.data), values.tenant);
    if (!result.intact) process.exitCode = 1;
    return print(result);
  }
  if (command === "detect" && args[0]) return print(await detectCommand(await FaceEngine.create(config), args[0], values.out));
  if (command === "embed" && args[0]) return print(await embedCommand(await FaceEngine.create(config), args[0]));
  if (command === "compare" && args[0] && args[1]) {
    const engine = await FaceEngine.create({ ...config, liveness: "none" });
    // One photo against one at the deployment's target: the per-comparison rate the server's threshold
    // story starts from (its 1:1 verify reads a subject's centroid at the same target).
    const calibrated = engine.embedder.model.thresholds?.[`fmr_${DEFAULT_TARGET}`];
    const threshold = values.threshold ? numberFlag(values, "threshold", 0) : calibrated;
    if (threshold === undefined)
      throw new UsageError(`the embedder ${engine.embedder.id} has no calibrated threshold; pass --threshold`);
    const source = values.threshold
      ? "--threshold"
      : `fmr_${DEFAULT_TARGET}: one false match in ${1 / Number(DEFAULT_TARGET)} comparisons of two strangers' photos, the deployment's default target`;
    return print({ ...(await compareCommand(engine, args[0], args[1], threshold)), threshold_source: source });
  }
  const evalEngine = async (): Promise<{ engine: FaceEngine; cache?: EmbeddingCache }> => {
    const engine = await FaceEngine.create({ ...config, liveness: "none" });
    return values["no-cache"]
      ? { engine }
      : { engine, cache: new EmbeddingCache(EmbeddingCache.defaultDir(), engine.pipelineKey) };
  };
  if (command === "eval" && args[0] === "identify") {
    const { engine, cache } = await evalEngine();
    const aggregation = (values.aggregation ?? DEFAULT_POLICY.aggregation) as Aggregation;
    if (!["max", "mean-top2", "centroid"].includes(aggregation))
      throw new UsageError("--aggregation is max, mean-top2 or centroid");
    const index = values.index ?? "exact";
    if (index !== "exact" && index !== "ann") throw new UsageError("--index is exact or ann");
    if (values["search-rules"] && !values.asnorm) throw new UsageError("--search-rules needs a cohort: add --asnorm K");
    const report = await evalIdentify(engine, {
      root: required(values, "root"),
      index,
      ...(values.asnorm ? { asNorm: numberFlag(values, "asnorm", 10) } : {}),
      ...(values["search-rules"] ? { searchRules: true } : {}),
      ...(values.people ? { people: values.people } : {}),
      enrol: numberFlag(values, "enroll", 1),
      concurrency,
      aggregation,
      cohort: numberFlag(values, "cohort", DEFAULT_THRESHOLD_OPTIONS.cohort),
      rule: {
        impostorWeight: numberFlag(values, "impostor-weight", DEFAULT_ADAPTIVE_RULE.impostorWeight),
        agreementWeight: numberFlag(values, "agreement-weight", DEFAULT_ADAPTIVE_RULE.agreementWeight),
        maxShift: numberFlag(values, "max-shift", DEFAULT_ADAPTIVE_RULE.maxShift),
      },
      ...(cache ? { cache } : {}),
    });
    return print(report, formatIdentify(report));
  }
  if (command === "eval" && args[0] === "cluster") {
    const { engine, cache } = await evalEngine();
    const report = await evalCluster(engine, {
      root: required(values, "root"),
      minImages: numberFlag(values, "min-images", 10),
      settings: {
        join: numberFlag(values, "join", DEFAULT_CLUSTER_OPTIONS.join),
        merge: numberFlag(values, "merge", DEFAULT_CLUSTER_OPTIONS.merge),
      },
      sweep: values.sweep ?? false,
      concurrency,
      ...(cache ? { cache } : {}),
    });
    return print(report, formatCluster(report));
  }
  if (command === "eval" && args[0] === "feedback") {
    const { engine, cache } = await evalEngine();
    const report = await evalFeedback(engine, {
      root: required(values, "root"),
      minImages: numberFlag(values, "min-images", 4),
      enrol: numberFlag(values, "enroll", 2),
      margins: [0, 0.05, 0.1],
      concurrency,
      ...(cache ? { cache } : {}),
    });
    return print(report, formatFeedback(report));
  }
  if (command === "calibrate" && args[0] === "liveness") {
    const engine = await FaceEngine.create(config);
    const apcer = numberFlag(values, "apcer", 0.05);
    if (!(apcer > 0 && apcer < 1)) throw new UsageError("--apcer is a rate between 0 and 1, e.g. 0.05");
    const report = await calibrateLiveness(engine, {
      real: required(values, "real"),
      attack: required(values, "attack"),
      apcer,
      concurrency,
    });
    return print(report, formatLivenessCalibration(report));
  }
  if (command === "calibrate") {
    const { engine, cache } = await evalEngine();
    const report = await calibrate(engine, {
      root: required(values, "root"),
      people: required(values, "people"),
      pairs: numberFlag(values, "impostor-pairs", 200_000),
      concurrency,
      ...(cache ? { cache } : {}),
    });
    return print(report);
  }
  if (command === "eval" && args[0] === "lfw") {
    const { engine, cache } = await evalEngine();
    const report = await evalLfw(engine, {
      root: required(values, "root"),
      pairs: required(values, "pairs"),
      ...(values["train-pairs"] ? { trainPairs: values["train-pairs"] } : {}),
      rocPrefix: values.roc ?? "lfw-roc",
      concurrency,
      ...(cache ? { cache } : {}),
    });
    return print(report, formatLfw(report));
  }
  /** What eval pad and train liveness-head both read: the crops' folder, the two lists, the images in flight. */
  const padLists = () => ({
    root: required(values, "root"),
    real: required(values, "real"),
    spoof: required(values, "spoof"),
    concurrency,
  });
  if (command === "eval" && args[0] === "pad") {
    const engine = await FaceEngine.create({ ...config, liveness: "none" });
    const ids = config.liveness ? [config.liveness] : ["liveness128", "minifasnet"];
    const head = values.head === true;
    const models = await Promise.all(ids.map((id) => FaceEngine.livenessModel(id, config, head)));
    const pick = values.model ?? ids[0] ?? "liveness128";
    const report = await evalPad(
      engine,
      models,
      {
        ...padLists(),
        head,
        ...(values.track ? { track: numberFlag(values, "track", 5) } : {}),
        sessions: values.sessions === true,
        shifts: values.shifts === true,
        ...(values.photos
          ? {
              photos: {
                root: values.photos,
                count: numberFlag(values, "photo-count", 1000),
                offset: numberFlag(values, "photo-offset", 0),
              },
            }
          : {}),
      },
      pick,
    );
    return print(report, formatPad(report));
  }
  if (command === "eval" && args[0] === "challenge") {
    const engine = await FaceEngine.create({ ...config, liveness: "none" });
    const report = await evalChallenge(engine, {
      root: required(values, "root"),
      ...(values.subjects ? { subjects: numberFlag(values, "subjects", 40) } : {}),
    });
    return print(report, formatChallenge(report));
  }
  if (command === "train" && args[0] === "liveness-head") {
    const engine = await FaceEngine.create({ ...config, liveness: "none" });
    const models = await Promise.all(["liveness128", "minifasnet"].map((id) => FaceEngine.livenessModel(id, config, true)));
    const out = required(values, "out");
    const report = await evalPad(engine, models, { ...padLists(), head: true, writeHead: out }, "liveness128");
    return print(report, `${formatPad(report)}\nwrote ${out}: set FACEREC_LIVENESS_HEAD=${out} to score liveness with it`);
  }
  throw new UsageError(`unknown command: ${positionals.join(" ")}`);
}

/** What a file-system error means to the person who named the file, in one line. */
const FILE_ERRORS: Record<string, string> = {
  ENOENT: "no such file or folder",
  EISDIR: "it is a folder; give an image file",
  ENOTDIR: "a part of the path is not a folder",
  EACCES: "permission denied",
  EPERM: "permission denied",
};

main().catch((error: unknown) => {
  const e = error as NodeJS.ErrnoException;
  const file = e.path && e.code && FILE_ERRORS[e.code];
  const known =
    error instanceof UsageError ||
    error instanceof ImageError ||
    error instanceof ModelPackError ||
    error instanceof CorruptLogError ||
    error instanceof FolderLockedError;
  // Mistakes in what was asked get one line; anything else is a defect and keeps its stack.
  const line = file ? `cannot read ${e.path}: ${file}` : known ? e.message : (e.stack ?? String(error));
  process.stderr.write(`facerec: ${line}\n`);
  if (error instanceof UsageError) process.stderr.write(USAGE);
  process.exitCode = error instanceof UsageError ? 64 : file ? 66 : 1;
});
