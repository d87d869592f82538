/**
 * Detection at 640x480 (the edge detector's per-frame work): frames/s of the detector model alone on a
 * prepared tensor (raw ONNX Runtime), of the product's detect (resize, normalise, run, decode, NMS),
 * and of the edge detector's whole work on a camera stream (detect, landmarks, align, quality and
 * tracking on every frame; liveness over its track and PNG encoding on each shot a track releases), measured
 * interleaved in the same run on letterboxed real photos, each held in view for one second at 25 fps.
 * Then what batching frames across cameras would buy: the detector's and the landmark model's
 * milliseconds per item at batch 1, 2, 4 and 8 (each camera's faces are already batched per frame).
 *
 *   node bench/dist/detect.js [--quick] [--json]
 */
import { readFileSync } from "node:fs";
import { type CropPublisher, EdgeDetector } from "@facerec/pipeline";
import { shared } from "@facerec/testkit/paths";
import {
  createSession,
  cropResize,
  decodeImage,
  FaceEngine,
  type Image,
  inputLength,
  ModelCatalogue,
  ort,
  writeNchw,
} from "@facerec/vision";
import sharp from "sharp";
import { mean, table, timeRuns } from "./timing.js";

const quick = process.argv.includes("--quick");
const asJson = process.argv.includes("--json");

async function frames(): Promise<Image[]> {
  const files = ["obama_and_biden.jpg", "kit_with_rose.jpg", "alex_lacamoire1.jpg"];
  return Promise.all(
    files.map(async (f) =>
      decodeImage(
        await sharp(readFileSync(shared("data", "facerec_examples", "knn_examples", "test", f)))
          .resize(640, 480, { fit: "contain", background: "#000" })
          .jpeg()
          .toBuffer(),
      ),
    ),
  );
}

const BATCHES = [1, 2, 4, 8];

/** Milliseconds per item of a model role at each of BATCHES, measured interleaved. */
async function perItemMs(role: "detector" | "landmarks", minMs: number): Promise<Record<string, number>> {
  const model = ModelCatalogue.builtIn().resolve(role);
  const session = await createSession(model.path, { dynamicBatch: true });
  const input = session.inputNames[0] as string;
  const { width, height } = model.input;
  const channels = inputLength(model.input) / (width * height);
  const times = new Map<number, number[]>(BATCHES.map((b) => [b, []]));
  for (let round = 0; round < 3; round++) {
    for (const b of BATCHES) {
      const tensor = new ort.Tensor("float32", new Float32Array(b * inputLength(model.input)).fill(0.1), [
        b,
        channels,
        height,
        width,
      ]);
      const runs = await timeRuns(() => session.run({ [input]: tensor }), { minMs: minMs / (3 * BATCHES.length) });
      times.get(b)?.push(...runs.map((ms) => ms / b));
    }
  }
  return Object.fromEntries(BATCHES.map((b) => [String(b), Number(mean(times.get(b) ?? []).toFixed(3))]));
}

async function main(): Promise<void> {
  const engine = await FaceEngine.create({});
  const model = ModelCatalogue.builtIn().resolve("detector");
  const session = await createSession(model.path);
  const images = await frames();
  const first = images[0] as Image;
  const { width, height } = model.input;
  const packed = new Float32Array(3 * width * height);
  writeNchw(cropResize(first, 0, 0, first.width, first.height, width, height), model.input, packed, 0);
  const tensor = new ort.Tensor("float32", packed, [1, 3, height, width]);
  const inputName = session.inputNames[0] as string;
  let i = 0;
  const next = () => images[i++ % images.length] as Image;
  // The shots go nowhere: this measures the edge's own work, not NATS.
  const publisher = { publish: async () => "published" as const } as unknown as CropPublisher;
  const edge = new EdgeDetector(engine, publisher, EdgeDetector.defaults("bench"));
  let frame = 0;
  const nextFrame = () => {
    const n = frame++;
    return edge.frame("cam-1", images[Math.floor(n / 25) % images.length] as Image, new Date(n * 40));
  };
  const raw: number[] = [];
  const detect: number[] = [];
  const analyse: number[] = [];
  const minMs = quick ? 1000 : 4000;
  for (let round = 0; round < 3; round++) {
    raw.push(...(await timeRuns(() => session.run({ [inputName]: tensor }), { minMs: minMs / 3 })));
    detect.push(...(await timeRuns(() => engine.detect(next()), { minMs: minMs / 3 })));
    analyse.push(...(await timeRuns(nextFrame, { minMs: minMs / 3 })));
  }
  const fps = (ms: number[]) => Number((1000 / mean(ms)).toFixed(1));
  const result = {
    detector: model.id,
    input: `${width}x${height}`,
    raw_frames_per_s: fps(raw),
    detect_frames_per_s: fps(detect),
    edge_frames_per_s: fps(analyse),
    detect_over_raw: Number((fps(detect) / fps(raw)).toFixed(3)),
    edge_over_raw: Number((fps(analyse) / fps(raw)).toFixed(3)),
    edge_shots_published: edge.counters.published,
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
  };
  edge.close();
  const batched = { detector: await perItemMs("detector", minMs), landmarks: await perItemMs("landmarks", minMs) };
  if (asJson) {
    process.stdout.write(`${JSON.stringify({ ...result, batched_ms_per_item: batched })}\n`);
    return;
  }
  console.log(`detection on 640x480 frames, ${model.id} (model input ${width}x${height})`);
  console.log(
    table(
      ["path", "frames/s", "vs raw"],
      [
        ["raw ONNX Runtime (prepared tensor)", result.raw_frames_per_s, 1],
        ["engine.detect (resize, run, decode, NMS)", result.detect_frames_per_s, result.detect_over_raw],
        [
          "edge detector on a stream (+ landmarks, align, quality, tracking; liveness over each shot's track)",
          result.edge_frames_per_s,
          result.edge_over_raw,
        ],
      ],
    ),
  );
  console.log("\nbatching frames across cameras: milliseconds per item by batch size");
  console.log(
    table(
      ["model", ...BATCHES.map((b) => `batch ${b}`)],
      Object.entries(batched).map(([role, ms]) => [role, ...BATCHES.map((b) => ms[String(b)] ?? "-")]),
    ),
  );
}

await main();
