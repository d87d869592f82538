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
 * The source taps of one axis of cropResize: for output o, the pairs (index[t], weight[t]) for t in
 * [start[o], start[o + 1]) average k bilinear samples. Taps outside the image (they read as black) and
 * taps of weight 0 (a sample exactly on a pixel, as in a 2x reduction) are left out.
 */
function axisTaps(from: number, scale: number, k: number, out: number, size: number) {
  const start = new Int32Array(out + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let o = 0; o < out; o++) {
    start[o] = index.length;
    for (let i = 0; i < k; i++) {
      const p = from + (o + (i + 0.5) / k) * scale - 0.5;
      const p0 = Math.floor(p);
      const f = p - p0;
      for (const [q, w] of [
        [p0, (1 - f) / k],
        [p0 + 1, f / k],
      ] as const) {
        if (w === 0 || q < 0 || q >= size) continue;
        const seen = index.lastIndexOf(q);
        if (seen >= (start[o] as number)) weight[seen] = (weight[seen] as number) + w;
        else {
          index.push(q);
          weight.push(w);
        }
      }
    }
  }
  start[out] = index.length;
  return { start, index: Int32Array.from(index), weight: Float64Array.from(weight) };
}

/**
 * Crop the rectangle [x, y, w, h] (it may extend past the border, which reads as black) and resize it to
 * outW x outH. Downscaling averages a k x k grid of bilinear samples per output pixel so that small model
 * inputs taken from large photos do not alias. The grid average is separable, so it runs as a horizontal
 * pass over the source rows it needs, then a vertical one.
 */
export function cropResize(src: Image, x: number, y: number, w: number, h: number, outW: number, outH: number): Image {
  const sx = w / outW;
  const sy = h / outH;
  const kx = Math.min(4, Math.max(1, Math.ceil(sx)));
  const ky = Math.min(4, Math.max(1, Math.ceil(sy)));
  const cols = axisTaps(x, sx, kx, outW, src.width);
  const rows = axisTaps(y, sy, ky, outH, src.height);
  const C = src.channels;
  const out = new Uint8Array(outW * outH * C);
  if (rows.index.length === 0) return { width: outW, height: outH, channels: C, data: out };
  // The source rows any output row reads.
  const first = Math.min(...rows.index);
  const last = Math.max(...rows.index);
  const rowLength = outW * C;
  const across = new Float64Array((last - first + 1) * rowLength);
  const data = src.data;
  const offset = cols.index.map((i) => i * C);
  for (let v = first; v <= last; v++) {
    const base = v * src.width * C;
    const into = (v - first) * rowLength;
    for (let ox = 0; ox < outW; ox++) {
      // The channels of one output pixel in one pass over its taps (three sums for RGB).
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      for (let t = cols.start[ox] as number, end = cols.start[ox + 1] as number; t < end; t++) {
        const wt = cols.weight[t] as number;
        const at = base + (offset[t] as number);
        s0 += wt * (data[at] as number);
        if (C === 3) {
          s1 += wt * (data[at + 1] as number);
          s2 += wt * (data[at + 2] as number);
        }
      }
      across[into + ox * C] = s0;
      if (C === 3) {
        across[into + ox * C + 1] = s1;
        across[into + ox * C + 2] = s2;
      }
    }
  }
  const sums = new Float64Array(rowLength);
  for (let oy = 0; oy < outH; oy++) {
    sums.fill(0);
    for (let t = rows.start[oy] as number, end = rows.start[oy + 1] as number; t < end; t++) {
      const wt = rows.weight[t] as number;
      const from = ((rows.index[t] as number) - first) * rowLength;
      for (let i = 0; i < rowLength; i++) sums[i] = (sums[i] as number) + wt * (across[from + i] as number);
    }
    const o = oy * rowLength;
    for (let i = 0; i < rowLength; i++) out[o + i] = Math.round(sums[i] as number);
  }
  return { width: outW, height: outH, channels: C, data: out };
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
