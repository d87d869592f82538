/** An 8-bit image with interleaved channels (3 = RGB, 1 = grey), row-major, no padding. */
export interface Image {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

/** Bilinear sample of channel `c` at a real-valued position; outside the image reads as 0. */
export function sampleBilinear(img: Image, x: number, y: number, c: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xi: number, yi: number): number =>
    xi < 0 || yi < 0 || xi >= img.width || yi >= img.height ? 0 : (img.data[(yi * img.width + xi) * img.channels + c] as number);
  const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
  const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
  return top * (1 - fy) + bottom * fy;
}

/** A 2x3 affine matrix mapping destination pixels to source pixels: [a, b, tx, c, d, ty]. */
export type Affine = readonly [number, number, number, number, number, number];

/** Warp `src` into a `width` x `height` image, each output pixel read through `dstToSrc`. */
export function warpAffine(src: Image, dstToSrc: Affine, width: number, height: number): Image {
  const [a, b, tx, c, d, ty] = dstToSrc;
  const out = new Uint8Array(width * height * src.channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sx = a * x + b * y + tx;
      const sy = c * x + d * y + ty;
      const o = (y * width + x) * src.channels;
      for (let ch = 0; ch < src.channels; ch++) {
        out[o + ch] = Math.round(sampleBilinear(src, sx, sy, ch));
      }
    }
  }
  return { width, height, channels: src.channels, data: out };
}

/**
 * Crop the rectangle [x, y, w, h] (it may extend past the border, which reads as black) and resize it to
 * outW x outH. Downscaling averages a k x k grid of bilinear samples per output pixel so that small model
 * inputs taken from large photos do not alias.
 */
export function cropResize(src: Image, x: number, y: number, w: number, h: number, outW: number, outH: number): Image {
  const sx = w / outW;
  const sy = h / outH;
  const kx = Math.min(4, Math.max(1, Math.ceil(sx)));
  const ky = Math.min(4, Math.max(1, Math.ceil(sy)));
  const out = new Uint8Array(outW * outH * src.channels);
  const weight = 1 / (kx * ky);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      const o = (oy * outW + ox) * src.channels;
      for (let c = 0; c < src.channels; c++) {
        let sum = 0;
        for (let j = 0; j < ky; j++) {
          const py = y + (oy + (j + 0.5) / ky) * sy - 0.5;
          for (let i = 0; i < kx; i++) {
            sum += sampleBilinear(src, x + (ox + (i + 0.5) / kx) * sx - 0.5, py, c);
          }
        }
        out[o + c] = Math.round(sum * weight);
      }
    }
  }
  return { width: outW, height: outH, channels: src.channels, data: out };
}

/** ITU-R BT.601 luma, the weights OpenCV's RGB2GRAY uses. */
export function luma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

export function toGrey(src: Image): Image {
  if (src.channels === 1) return src;
  const n = src.width * src.height;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Math.round(luma(src.data[3 * i] as number, src.data[3 * i + 1] as number, src.data[3 * i + 2] as number));
  }
  return { width: src.width, height: src.height, channels: 1, data: out };
}

export function flipHorizontal(src: Image): Image {
  const out = new Uint8Array(src.data.length);
  const { width, height, channels } = src;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * channels;
      const to = (y * width + (width - 1 - x)) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = src.data[from + c] as number;
    }
  }
  return { width, height, channels, data: out };
}
