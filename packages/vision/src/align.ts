import type { Point } from "./geometry.js";
import { type Affine, type Image, warpAffine } from "./image.js";

/** The five ArcFace reference points for a 112x112 crop (eyes, nose tip, mouth corners). */
export const ARCFACE_TEMPLATE: readonly Point[] = [
  { x: 38.2946, y: 51.6963 },
  { x: 73.5318, y: 51.5014 },
  { x: 56.0252, y: 71.7366 },
  { x: 41.5493, y: 92.3655 },
  { x: 70.7299, y: 92.2041 },
];

/**
 * Least-squares similarity transform (rotation, uniform scale, translation) taking `from` onto `to`
 * (Umeyama's closed form in 2-D). Returned as [a, b, tx, c, d, ty] with a = d, c = -b.
 */
export function similarityTransform(from: readonly Point[], to: readonly Point[]): Affine {
  const n = from.length;
  let fx = 0;
  let fy = 0;
  let tx = 0;
  let ty = 0;
  for (let i = 0; i < n; i++) {
    fx += (from[i] as Point).x;
    fy += (from[i] as Point).y;
    tx += (to[i] as Point).x;
    ty += (to[i] as Point).y;
  }
  fx /= n;
  fy /= n;
  tx /= n;
  ty /= n;
  let sxx = 0;
  let sxy = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const ax = (from[i] as Point).x - fx;
    const ay = (from[i] as Point).y - fy;
    const bx = (to[i] as Point).x - tx;
    const by = (to[i] as Point).y - ty;
    sxx += ax * bx + ay * by;
    sxy += ax * by - ay * bx;
    norm += ax * ax + ay * ay;
  }
  const a = sxx / norm;
  const b = sxy / norm;
  // x' = a x - b y + tx0 ; y' = b x + a y + ty0
  return [a, -b, tx - (a * fx - b * fy), b, a, ty - (b * fx + a * fy)];
}

export function invertAffine(m: Affine): Affine {
  const [a, b, tx, c, d, ty] = m;
  const det = a * d - b * c;
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  return [ia, ib, -(ia * tx + ib * ty), ic, id, -(ic * tx + id * ty)];
}

export function applyAffine(m: Affine, p: Point): Point {
  return { x: m[0] * p.x + m[1] * p.y + m[2], y: m[3] * p.x + m[4] * p.y + m[5] };
}

/** Warp the face so its five points land on the ArcFace template, as a size x size crop (112 by default). */
export function alignFace(img: Image, landmarks: readonly Point[], size = 112): Image {
  const scale = size / 112;
  const template = ARCFACE_TEMPLATE.map((p) => ({ x: p.x * scale, y: p.y * scale }));
  const toCrop = similarityTransform(landmarks, template);
  return warpAffine(img, invertAffine(toCrop), size, size);
}
