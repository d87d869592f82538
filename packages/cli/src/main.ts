#!/usr/bin/env node
import { parseArgs } from "node:util";
import { FaceEngine, ImageError, ModelPackError } from "@facerec/vision";
import { evalLfw, formatLfw } from "./commands/eval-lfw.js";
import { evalPad, formatPad } from "./commands/eval-pad.js";
import { compareCommand, detectCommand, embedCommand } from "./commands/single.js";
import { type EngineFlags, engineConfig, engineOptionSpec } from "./engine-options.js";

const USAGE = `facerec: face detection, recognition and evaluation

usage:
  facerec detect IMAGE [--out annotated.png]
  facerec embed IMAGE
  facerec compare A B [--threshold T]
  facerec eval lfw --root DIR --pairs FILE [--train-pairs FILE] [--roc PREFIX] [--json]
  facerec eval pad --root DIR --real LIST --spoof LIST [--model NAME] [--json]

engine options (every command):
  --detector ID       ultraface (default), yunet, scrfd_500m
  --landmarks ID      landmarks68 (default) or "detector" (align on the detector's five points)
  --embedder ID       arcface512 (default), mobilefacenet128
  --liveness ID       liveness128 (default), minifasnet, none
  --flip              add the mirrored crop's embedding
  --threads N         ONNX Runtime threads per inference
  --concurrency N     images in flight during evaluation (default 2)
  --min-face PX       smallest face kept (default 20)
  --score-threshold S detector confidence (default 0.7)
`;

const { values, positionals } = parseArgs({
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
    help: { type: "boolean", short: "h" },
  },
});

function required(name: keyof typeof values): string {
  const v = values[name];
  if (typeof v !== "string") throw new UsageError(`--${name} is required`);
  return v;
}

class UsageError extends Error {}

async function main(): Promise<void> {
  const [command, ...args] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return;
  }
  const concurrency = Number(values.concurrency ?? 2);
  const config = engineConfig(values as EngineFlags);
  const print = (result: unknown, text?: string): void => {
    process.stdout.write(values.json || !text ? `${JSON.stringify(result, null, values.json ? 0 : 2)}\n` : `${text}\n`);
  };
  if (command === "detect" && args[0]) return print(await detectCommand(await FaceEngine.create(config), args[0], values.out));
  if (command === "embed" && args[0]) return print(await embedCommand(await FaceEngine.create(config), args[0]));
  if (command === "compare" && args[0] && args[1]) {
    const engine = await FaceEngine.create({ ...config, liveness: "none" });
    const threshold = values.threshold ? Number(values.threshold) : engine.embedder.model.threshold;
    if (threshold === undefined)
      throw new UsageError(`the embedder ${engine.embedder.id} has no calibrated threshold; pass --threshold`);
    return print(await compareCommand(engine, args[0], args[1], threshold));
  }
  if (command === "eval" && args[0] === "lfw") {
    const engine = await FaceEngine.create({ ...config, liveness: "none" });
    const report = await evalLfw(engine, {
      root: required("root"),
      pairs: required("pairs"),
      ...(values["train-pairs"] ? { trainPairs: values["train-pairs"] } : {}),
      rocPrefix: values.roc ?? "lfw-roc",
      concurrency,
    });
    return print(report, formatLfw(report));
  }
  if (command === "eval" && args[0] === "pad") {
    const engine = await FaceEngine.create({ ...config, liveness: "none" });
    const ids = config.liveness ? [config.liveness] : ["liveness128", "minifasnet"];
    const models = await Promise.all(ids.map((id) => FaceEngine.livenessModel(id, config)));
    const pick = values.model ?? ids[0] ?? "liveness128";
    const report = await evalPad(
      engine,
      models,
      { root: required("root"), real: required("real"), spoof: required("spoof"), concurrency },
      pick,
    );
    return print(report, formatPad(report));
  }
  throw new UsageError(`unknown command: ${positionals.join(" ")}`);
}

main().catch((error: unknown) => {
  const known = error instanceof UsageError || error instanceof ImageError || error instanceof ModelPackError;
  process.stderr.write(`facerec: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
  if (error instanceof UsageError) process.stderr.write(USAGE);
  process.exitCode = error instanceof UsageError ? 64 : 1;
});
