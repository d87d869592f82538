import type { Point } from "../geometry.js";
import type { ort } from "../session.js";
import type { Detection } from "./types.js";

/** How one anchor-based detector family turns its raw outputs at one stride into scored faces. */
export interface StrideDecoder {
  anchorsPerCell: number;
  score(out: Record<string, ort.Tensor>, stride: number, anchor: number): number;
  box(out: Record<string, ort.Tensor>, stride: number, anchor: number, cx: number, cy: number): [number, number, number, number];
  /** Landmark k (0..4) as an offset from the anchor centre, in stride units. */
  point(out: Record<string, ort.Tensor>, stride: number, anchor: number, k: number): [number, number];
}

/**
 * Decode every anchor of a multi-stride detector on an input of width x height (model pixels),
 * mapping results back to source pixels with scaleX/scaleY.
 */
export function decodeStrides(
  decoder: StrideDecoder,
  out: Record<string, ort.Tensor>,
  width: number,
  height: number,
  scaleX: number,
  scaleY: number,
  threshold: number,
): Detection[] {
  const found: Detection[] = [];
  for (const stride of [8, 16, 32]) {
    const cols = Math.ceil(width / stride);
    const rows = Math.ceil(height / stride);
    for (let cell = 0; cell < cols * rows; cell++) {
      const r = Math.floor(cell / cols);
      const c = cell % cols;
      for (let a = 0; a < decoder.anchorsPerCell; a++) {
        const anchor = cell * decoder.anchorsPerCell + a;
        const score = decoder.score(out, stride, anchor);
        if (score < threshold) continue;
        const [x1, y1, x2, y2] = decoder.box(out, stride, anchor, c, r);
        const landmarks: Point[] = [];
        for (let k = 0; k < 5; k++) {
          const [dx, dy] = decoder.point(out, stride, anchor, k);
          landmarks.push({ x: (c + dx) * stride * scaleX, y: (r + dy) * stride * scaleY });
        }
        found.push({
          box: {
            x: x1 * stride * scaleX,
            y: y1 * stride * scaleY,
            width: (x2 - x1) * stride * scaleX,
            height: (y2 - y1) * stride * scaleY,
          },
          score,
          landmarks,
        });
      }
    }
  }
  return found;
}

export function at(out: Record<string, ort.Tensor>, name: string, index: number): number {
  const tensor = out[name];
  if (!tensor) throw new Error(`the detector has no output named "${name}"`);
  return (tensor.data as Float32Array)[index] as number;
}
