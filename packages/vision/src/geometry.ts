export interface Point {
  x: number;
  y: number;
}

/** Axis-aligned box in image pixels: top-left corner and size. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-maximum suppression: keep the best-scoring item, drop those overlapping it above `threshold`. */
export function nms<T extends { box: Box; score: number }>(items: T[], threshold: number, limit = Infinity): T[] {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const item of sorted) {
    if (kept.length >= limit) break;
    if (kept.every((k) => iou(k.box, item.box) <= threshold)) kept.push(item);
  }
  return kept;
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/**
 * Grow a box about its centre by `scale` (reduced as needed so the result fits in width x height, aspect
 * kept), then shift it to lie inside the frame. This is the context crop liveness models were trained on.
 */
export function scaleBoxInside(box: Box, scale: number, width: number, height: number): Box {
  const s = Math.min(scale, (width - 1) / box.width, (height - 1) / box.height);
  const w = box.width * s;
  const h = box.height * s;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const x = Math.min(Math.max(cx - w / 2, 0), width - 1 - w);
  const y = Math.min(Math.max(cy - h / 2, 0), height - 1 - h);
  return { x, y, width: w, height: h };
}
