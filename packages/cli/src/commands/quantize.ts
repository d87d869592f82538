import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import {
  CALIBRATION_QUANTILE,
  calibrate,
  FaceEngine,
  generatedPacksDir,
  type Image,
  modelCacheDir,
  type PackManifest,
  quantizeQdq,
  writeNchw,
} from "@facerec/vision";
import { centralFace, type EngineFlags, engineConfig, loadImage } from "../engine-options.js";
import { Progress } from "../progress.js";
import { UsageError } from "../usage.js";

export interface QuantizeOptions {
  /** LFW's image folder: one folder per person. */
  root: string;
  /** The people whose first image calibrates the activations (LFW's peopleDevTrain.txt: none of View 1's test pairs). */
  people: string;
  /** How many faces calibrate. */
  count: number;
  /** Convolutions left in float, by place (0 the first, -1 the last). @default none */
  keepFloat?: number[];
  /** The share of each activation's values its int8 range covers. @default CALIBRATION_QUANTILE */
  quantile?: number;
  flags: EngineFlags;
}

export interface QuantizeReport {
  /** The variant's model id, for --embedder or FACEREC_EMBEDDER. */
  id: string;
  file: string;
  sha256: string;
  manifest: string;
  calibrationFaces: number;
  bytes: { fp32: number; int8: number };
}

/** The first image of each person in an LFW people list, in its order. */
function firstImages(root: string, people: string, count: number): string[] {
  const names = readFileSync(people, "utf8")
    .split("\n")
    .slice(1)
    .map((line) => line.split("\t")[0]?.trim())
    .filter((name): name is string => Boolean(name));
  if (names.length === 0) throw new UsageError(`${people} names no people`);
  return names.slice(0, count).map((name) => join(root, name, `${name}_0001.jpg`));
}

/**
 * `facerec models quantize`: the embedder as static int8 (QDQ: per-channel int8 weights, uint8
 * activations calibrated on aligned faces), written as a pack variant in the model cache: the model
 * file beside the fp32 one's pack folder, and a manifest under generatedPacksDir naming it
 * `<id>-int8`, its checksum and its calibration. The fp32 model stays the default; --embedder picks it.
 */
export async function quantizeModel(options: QuantizeOptions): Promise<QuantizeReport> {
  const engine = await FaceEngine.create(engineConfig(options.flags));
  const model = engine.embedder.model;
  const { width, height } = model.input;
  const paths = firstImages(options.root, options.people, options.count);
  const progress = new Progress("calibration faces", paths.length);
  const inputs: Float32Array[] = [];
  for (const path of paths) {
    const image = await loadImage(path);
    const crop: Image | undefined = centralFace(await engine.analyse(image, { embed: false }), image)?.aligned;
    if (crop) {
      const tensor = new Float32Array(3 * width * height);
      writeNchw(crop, model.input, tensor, 0);
      inputs.push(tensor);
    }
    progress.tick(1);
  }
  if (inputs.length < 10) throw new UsageError(`only ${inputs.length} faces were found to calibrate on: name more people`);

  const fp32 = readFileSync(model.path);
  const quantile = options.quantile ?? CALIBRATION_QUANTILE;
  const keepFloat = options.keepFloat ?? [];
  const ranges = await calibrate(fp32, inputs, [1, 3, height, width], quantile);
  const int8 = quantizeQdq(fp32, ranges, { keepFloat });
  const pack = `${basename(dirname(model.path))}-int8`;
  const file = `${basename(model.file, ".onnx")}.int8.onnx`;
  mkdirSync(join(modelCacheDir(), pack), { recursive: true });
  writeFileSync(join(modelCacheDir(), pack, file), int8);
  const sha256 = createHash("sha256").update(int8).digest("hex");
  const id = `${model.id}-int8`;
  const { id: _, path: __, ...spec } = model;
  const manifest: PackManifest = {
    name: pack,
    description: `${model.id} quantised to int8 on this machine by \`facerec models quantize\``,
    root: "cache",
    models: {
      [id]: {
        ...spec,
        file,
        sha256,
        note: `Static int8, QDQ: weights per output channel (symmetric), activations uint8 over ${quantile >= 1 ? "the whole range (min/max)" : `the ${quantile} quantile range`} of ${inputs.length} aligned faces (the first image of the first ${paths.length} people of ${basename(options.people)})${keepFloat.length ? `; convolutions ${keepFloat.join(", ")} left in float` : ""}. Thresholds are the fp32 model's: check them with \`facerec eval lfw --embedder ${id}\`.`,
      },
    },
  };
  mkdirSync(generatedPacksDir(), { recursive: true });
  const manifestPath = join(generatedPacksDir(), `${pack}.json`);
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return {
    id,
    file: join(modelCacheDir(), pack, file),
    sha256,
    manifest: manifestPath,
    calibrationFaces: inputs.length,
    bytes: { fp32: fp32.length, int8: int8.length },
  };
}
