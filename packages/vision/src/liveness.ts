import { type Box, scaleBoxInside } from "./geometry.js";
import { cropResize, type Image } from "./image.js";
import type { LivenessScorer } from "./liveness-head.js";
import type { ResolvedModel } from "./model-pack.js";
import { type ort, runTensor } from "./session.js";
import { writeNchw } from "./tensor.js";

export function softmax(logits: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(logits));
  const exps = Array.from(logits, (v) => Math.exp(v - max));
  const sum = exps.reduce((s, v) => s + v, 0);
  return exps.map((v) => v / sum);
}

/**
 * Presentation-attack detector on a context crop: the face box grown `cropScale` times about its
 * centre (kept inside the frame), resized to the model input. Score = probability of the live classes.
 */
export class LivenessModel implements LivenessScorer {
  constructor(
    private readonly session: ort.InferenceSession,
    readonly model: ResolvedModel,
  ) {}

  get id(): string {
    return this.model.id;
  }

  crop(img: Image, box: Box): Image {
    const { width, height } = this.model.input;
    const region = scaleBoxInside(box, this.model.cropScale ?? 1, img.width, img.height);
    return cropResize(img, region.x, region.y, region.width, region.height, width, height);
  }

  async score(img: Image, box: Box): Promise<number> {
    return (await this.scoreMany(img, [box]))[0] as number;
  }

  /** One run of the model on every face's crop, batched. */
  private async run(img: Image, boxes: readonly Box[]): Promise<Record<string, ort.Tensor>> {
    const { width, height } = this.model.input;
    const batch = new Float32Array(boxes.length * 3 * width * height);
    for (const [slot, box] of boxes.entries()) writeNchw(this.crop(img, box), this.model.input, batch, slot);
    return runTensor(this.session, batch, [boxes.length, 3, height, width]);
  }

  /**
   * The last layer's input for each face (the features its classifier reads), for learning a head on
   * them; the session must have been created with `features: true`.
   */
  async features(img: Image, boxes: readonly Box[]): Promise<Float32Array[]> {
    const out = await this.run(img, boxes);
    const data = out.features?.data as Float32Array | undefined;
    if (!data) throw new Error(`the ${this.id} session has no features output (create it with features: true)`);
    const size = data.length / boxes.length;
    return boxes.map((_, i) => data.slice(i * size, (i + 1) * size));
  }

  /** The live score of every face of a frame, in one run of the model (one batch). */
  async scoreMany(img: Image, boxes: readonly Box[]): Promise<number[]> {
    if (boxes.length === 0) return [];
    const out = await this.run(img, boxes);
    const logits = Object.values(out)[0]?.data as Float32Array;
    const classes = logits.length / boxes.length;
    return boxes.map((_, face) => {
      const probs = softmax(logits.subarray(face * classes, (face + 1) * classes));
      return (this.model.liveClasses ?? [0]).reduce((s, c) => s + (probs[c] ?? 0), 0);
    });
  }
}
