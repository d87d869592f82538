import type { Box, Image, Point } from "@facerec/vision";

type Rgb = readonly [number, number, number];

function setPixel(img: Image, x: number, y: number, colour: Rgb): void {
  const xi = Math.round(x);
  const yi = Math.round(y);
  if (xi < 0 || yi < 0 || xi >= img.width || yi >= img.height) return;
  const o = (yi * img.width + xi) * 3;
  img.data[o] = colour[0];
  img.data[o + 1] = colour[1];
  img.data[o + 2] = colour[2];
}

/** Draw a box outline `thickness` pixels wide, in place. */
export function drawBox(img: Image, box: Box, colour: Rgb, thickness = 2): void {
  for (let t = 0; t < thickness; t++) {
    for (let x = box.x; x <= box.x + box.width; x++) {
      setPixel(img, x, box.y + t, colour);
      setPixel(img, x, box.y + box.height - t, colour);
    }
    for (let y = box.y; y <= box.y + box.height; y++) {
      setPixel(img, box.x + t, y, colour);
      setPixel(img, box.x + box.width - t, y, colour);
    }
  }
}

export function drawPoints(img: Image, points: readonly Point[], colour: Rgb, radius = 2): void {
  for (const p of points) {
    for (let dy = -radius; dy <= radius; dy++)
      for (let dx = -radius; dx <= radius; dx++) setPixel(img, p.x + dx, p.y + dy, colour);
  }
}

/** Digits 0-9 on a 3x5 grid, each row three bits, most significant on the left. */
const DIGITS = [
  [7, 5, 5, 5, 7],
  [2, 6, 2, 2, 7],
  [7, 1, 7, 4, 7],
  [7, 1, 7, 1, 7],
  [5, 5, 7, 1, 1],
  [7, 4, 7, 1, 7],
  [7, 4, 7, 5, 7],
  [7, 1, 1, 1, 1],
  [7, 5, 7, 5, 7],
  [7, 5, 7, 1, 7],
] as const;

/**
 * Write `n` at (x, y), its top left, on a filled backing so it reads on any photo: each digit a 3x5
 * grid of `scale`-pixel squares.
 */
export function drawNumber(img: Image, n: number, x: number, y: number, colour: Rgb, scale = 3): void {
  const digits = String(n).split("").map(Number);
  const width = (digits.length * 4 + 1) * scale;
  for (let dy = 0; dy < 7 * scale; dy++) for (let dx = 0; dx < width; dx++) setPixel(img, x + dx, y + dy, [0, 0, 0]);
  for (const [k, d] of digits.entries()) {
    for (const [row, bits] of (DIGITS[d] as readonly number[]).entries()) {
      for (let col = 0; col < 3; col++) {
        if (!((bits >> (2 - col)) & 1)) continue;
        for (let sy = 0; sy < scale; sy++)
          for (let sx = 0; sx < scale; sx++)
            setPixel(img, x + (1 + k * 4 + col) * scale + sx, y + (1 + row) * scale + sy, colour);
      }
    }
  }
}
