import { resizeImage } from "../decode.js";
import type { Image } from "../image.js";
import type { InputSpec } from "../model-pack.js";
import { inputLength, reduceToNchw, toNchw, wholeMultiple, writeNchw } from "../tensor.js";
import { DEFAULT_DETECT_OPTIONS, type DetectOptions } from "./types.js";

export interface PreparedInput {
  tensor: Float32Array;
  width: number;
  height: number;
  /** Source pixels per model-input pixel, horizontally and vertically. */
  scaleX: number;
  scaleY: number;
}

/**
 * Stretch the whole frame to the model's fixed input size (what fixed-size detectors were trained on),
 * written into `target` when one is given.
 */
export async function prepareStretched(
  img: Image,
  spec: InputSpec,
  target: Float32Array = new Float32Array(inputLength(spec)),
): Promise<PreparedInput> {
  // A camera frame a whole multiple of the input (640x480 for 320x240) is reduced by block means in one pass.
  const factor = wholeMultiple(img, spec);
  if (factor) reduceToNchw(img, factor, spec, target);
  else writeNchw(await resizeImage(img, spec.width, spec.height), spec, target);
  return {
    tensor: target,
    width: spec.width,
    height: spec.height,
    scaleX: img.width / spec.width,
    scaleY: img.height / spec.height,
  };
}

/**
 * Scale the frame to fit the model's nominal size keeping its aspect ratio, then pad right and bottom to a
 * multiple of `stride` (for fully convolutional detectors with a dynamic input size).
 */
export async function prepareLetterboxed(img: Image, spec: InputSpec, stride = 32): Promise<PreparedInput> {
  const scale = Math.min(spec.width / img.width, spec.height / img.height);
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const resized = await resizeImage(img, w, h);
  const width = Math.ceil(w / stride) * stride;
  const height = Math.ceil(h / stride) * stride;
  const padded = new Uint8Array(width * height * 3);
  for (let y = 0; y < h; y++) {
    padded.set(resized.data.subarray(y * w * 3, (y + 1) * w * 3), y * width * 3);
  }
  return {
    tensor: toNchw({ width, height, channels: 3, data: padded }, spec),
    width,
    height,
    scaleX: img.width / w,
    scaleY: img.height / h,
  };
}

export function withDefaults(options: Partial<DetectOptions> | undefined): DetectOptions {
  return { ...DEFAULT_DETECT_OPTIONS, ...options };
}

/** Keep faces large enough, and clip boxes to the frame. */
export function keepFaces<T extends { box: { x: number; y: number; width: number; height: number } }>(
  items: T[],
  img: Image,
  options: DetectOptions,
): T[] {
  return items
    .filter((d) => Math.min(d.box.width, d.box.height) >= options.minFaceSize)
    .map((d) => {
      const x = Math.max(0, d.box.x);
      const y = Math.max(0, d.box.y);
      const width = Math.min(img.width, d.box.x + d.box.width) - x;
      const height = Math.min(img.height, d.box.y + d.box.height) - y;
      return { ...d, box: { x, y, width, height } };
    });
}
