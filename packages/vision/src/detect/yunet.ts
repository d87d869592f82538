import { nms } from "../geometry.js";
import type { Image } from "../image.js";
import type { ResolvedModel } from "../model-pack.js";
import { type ort, runTensor } from "../session.js";
import { at, decodeStrides, type StrideDecoder } from "./anchors.js";
import { keepFaces, prepareLetterboxed, withDefaults } from "./prepare.js";
import type { Detection, DetectOptions, FaceDetector } from "./types.js";

const clip01 = (v: number): number => Math.min(1, Math.max(0, v));

/** YuNet (libfacedetection): one anchor per cell, score = sqrt(cls * obj), box from centre offset and log size. */
const yunetDecoder: StrideDecoder = {
  anchorsPerCell: 1,
  score: (out, s, i) => Math.sqrt(clip01(at(out, `cls_${s}`, i)) * clip01(at(out, `obj_${s}`, i))),
  box: (out, s, i, c, r) => {
    const cx = c + at(out, `bbox_${s}`, 4 * i);
    const cy = r + at(out, `bbox_${s}`, 4 * i + 1);
    const w = Math.exp(at(out, `bbox_${s}`, 4 * i + 2));
    const h = Math.exp(at(out, `bbox_${s}`, 4 * i + 3));
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
  },
  point: (out, s, i, k) => [at(out, `kps_${s}`, 10 * i + 2 * k), at(out, `kps_${s}`, 10 * i + 2 * k + 1)],
};

/** SCRFD (InsightFace): two anchors per cell, distances to the box sides, scores already sigmoid. */
const scrfdDecoder: StrideDecoder = {
  anchorsPerCell: 2,
  score: (out, s, i) => at(out, `score_${s}`, i),
  box: (out, s, i, c, r) => [
    c - at(out, `bbox_${s}`, 4 * i),
    r - at(out, `bbox_${s}`, 4 * i + 1),
    c + at(out, `bbox_${s}`, 4 * i + 2),
    r + at(out, `bbox_${s}`, 4 * i + 3),
  ],
  point: (out, s, i, k) => [at(out, `kps_${s}`, 10 * i + 2 * k), at(out, `kps_${s}`, 10 * i + 2 * k + 1)],
};

/** A fully convolutional detector that also gives five landmarks (YuNet or SCRFD). */
export class AnchorDetector implements FaceDetector {
  private readonly decoder: StrideDecoder;

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly model: ResolvedModel,
  ) {
    this.decoder = model.decoder === "scrfd" ? scrfdDecoder : yunetDecoder;
  }

  get id(): string {
    return this.model.id;
  }

  async detect(img: Image, options?: Partial<DetectOptions>): Promise<Detection[]> {
    const opts = withDefaults(options);
    const input = await prepareLetterboxed(img, this.model.input);
    const out = await runTensor(this.session, input.tensor, [1, 3, input.height, input.width]);
    const found = decodeStrides(this.decoder, out, input.width, input.height, input.scaleX, input.scaleY, opts.scoreThreshold);
    return keepFaces(nms(found, opts.nmsThreshold, opts.maxFaces), img, opts);
  }
}
