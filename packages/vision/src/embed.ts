import { l2normalise } from "@facerec/common";
import { flipHorizontal, type Image } from "./image.js";
import type { ResolvedModel } from "./model-pack.js";
import { type ort, runTensor } from "./session.js";
import { writeNchw } from "./tensor.js";

export interface EmbedOptions {
  /** Add the embedding of the mirrored crop before normalising (slower by 2x, usually a little more accurate). */
  flip?: boolean;
}

/** Turns aligned face crops into L2-normalised embeddings, many crops per ONNX Runtime call. */
export class Embedder {
  readonly dims: number;

  constructor(
    private readonly session: ort.InferenceSession,
    readonly model: ResolvedModel,
    /** Largest batch sent to the runtime in one call. */
    readonly maxBatch = 8,
  ) {
    this.dims = model.dims ?? 512;
  }

  get id(): string {
    return this.model.id;
  }

  async embed(crops: readonly Image[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const inputs = options.flip ? crops.flatMap((c) => [c, flipHorizontal(c)]) : [...crops];
    const raw: Float32Array[] = [];
    for (let start = 0; start < inputs.length; start += this.maxBatch) {
      raw.push(...(await this.runBatch(inputs.slice(start, start + this.maxBatch))));
    }
    if (!options.flip) return raw.map(l2normalise);
    return crops.map((_, i) => {
      const a = raw[2 * i] as Float32Array;
      const b = raw[2 * i + 1] as Float32Array;
      return l2normalise(a.map((v, k) => v + (b[k] as number)));
    });
  }

  /** One runtime call; returns unnormalised vectors. */
  async runBatch(batch: readonly Image[]): Promise<Float32Array[]> {
    const { width, height } = this.model.input;
    const size = 3 * width * height;
    const tensor = new Float32Array(batch.length * size);
    batch.forEach((crop, slot) => {
      if (crop.width !== width || crop.height !== height) {
        throw new Error(`embedder input must be ${width}x${height}, got ${crop.width}x${crop.height}`);
      }
      writeNchw(crop, this.model.input, tensor, slot);
    });
    const out = await runTensor(this.session, tensor, [batch.length, 3, height, width]);
    const data = Object.values(out)[0]?.data as Float32Array;
    return batch.map((_, i) => data.slice(i * this.dims, (i + 1) * this.dims));
  }
}
