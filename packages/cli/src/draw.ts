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
