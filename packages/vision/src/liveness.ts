import { type Box, scaleBoxInside } from "./geometry.js";
import { cropResize, type Image } from "./image.js";
import type { ResolvedModel } from "./model-pack.js";
import { type ort, runTensor } from "./session.js";
import { toNchw } from "./tensor.js";

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
export class LivenessModel {
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
    const { width, height } = this.model.input;
    const out = await runTensor(this.session, toNchw(this.crop(img, box), this.model.input), [1, 3, height, width]);
    const probs = softmax(Object.values(out)[0]?.data as Float32Array);
    return (this.model.liveClasses ?? [0]).reduce((s, c) => s + (probs[c] ?? 0), 0);
  }
}
