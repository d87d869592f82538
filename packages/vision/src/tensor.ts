import { type Image, luma } from "./image.js";
import type { InputSpec } from "./model-pack.js";

/**
 * Write an RGB or grey image into an NCHW float tensor at batch slot `slot`, in the model's colour
 * order and normalisation.
 */
export function writeNchw(img: Image, spec: InputSpec, target: Float32Array, slot = 0): void {
  const plane = img.width * img.height;
  const channels = spec.colour === "GREY" ? 1 : 3;
  const base = slot * channels * plane;
  const inv = 1 / spec.std;
  if (channels === 1) {
    for (let i = 0; i < plane; i++) {
      const px =
        img.channels === 1
          ? (img.data[i] as number)
          : luma(img.data[3 * i] as number, img.data[3 * i + 1] as number, img.data[3 * i + 2] as number);
      target[base + i] = (px - spec.mean) * inv;
    }
    return;
  }
  const order = spec.colour === "BGR" ? [2, 1, 0] : [0, 1, 2];
  const data = img.data;
  const mean = spec.mean;
  for (let c = 0; c < 3; c++) {
    const offset = base + c * plane;
    if (img.channels === 1) {
      for (let i = 0; i < plane; i++) target[offset + i] = ((data[i] as number) - mean) * inv;
      continue;
    }
    // One strided pass per output plane: reading every third byte keeps this loop free of branches.
    for (let i = 0, j = order[c] as number; i < plane; i++, j += 3) target[offset + i] = ((data[j] as number) - mean) * inv;
  }
}

export function toNchw(img: Image, spec: InputSpec): Float32Array {
  const channels = spec.colour === "GREY" ? 1 : 3;
  const out = new Float32Array(channels * img.width * img.height);
  writeNchw(img, spec, out);
  return out;
}
