/**
 * Detection at 640x480 (the edge detector's per-frame work): frames/s of the detector model alone on a
 * prepared tensor (raw ONNX Runtime), of the product's detect (resize, normalise, run, decode, NMS),
 * and of the edge detector's whole work on a camera stream (detect, landmarks, align, quality and
 * tracking on every frame; liveness over its track and PNG encoding on each shot a track releases), measured
 * interleaved in the same run on letterboxed real photos, each held in view for one second at 25 fps.
 *
 *   node bench/dist/detect.js [--quick] [--json]
 */
import { readFileSync } from "node:fs";
import { type CropPublisher, EdgeDetector } from "@facerec/pipeline";
import { shared } from "@facerec/testkit/paths";
import { createSession, cropResize, decodeImage, FaceEngine, type Image, ModelCatalogue, ort, writeNchw } from "@facerec/vision";
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
  if (asJson) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
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
}

await main();
