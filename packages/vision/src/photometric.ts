import sharp, { type Sharp } from "sharp";
import type { Image } from "./image.js";

/**
 * A change of light, lens or encoding that a new site brings, applied to a whole frame. Liveness
 * figures are read under these as well as on clean frames: a threshold fitted to one camera's
 * captures moves when the light does, and the product runs where it was not fitted.
 */
export interface PhotometricShift {
  id: string;
  /** What the shift stands in for, in words. */
  stands_for: string;
  apply(img: Image): Promise<Image>;
}

/** Each channel's values through a table (one table per channel; grey images use the first). */
function throughTables(img: Image, tables: readonly Uint8Array[]): Image {
  const out = new Uint8Array(img.data.length);
  const C = img.channels;
  for (let i = 0; i < img.data.length; i++) {
    out[i] = (tables[i % C] ?? (tables[0] as Uint8Array))[img.data[i] as number] as number;
  }
  return { ...img, data: out };
}

function table(f: (v: number) => number): Uint8Array {
  const t = new Uint8Array(256);
  for (let v = 0; v < 256; v++) t[v] = Math.max(0, Math.min(255, Math.round(f(v))));
  return t;
}

const perPixel = (id: string, stands_for: string, f: (v: number) => number): PhotometricShift => ({
  id,
  stands_for,
  apply: async (img) => throughTables(img, [table(f)]),
});

/** A colour cast: red and blue scaled apart (grey images are left as they are). */
const cast = (id: string, stands_for: string, red: number, blue: number): PhotometricShift => ({
  id,
  stands_for,
  apply: async (img) =>
    img.channels === 3 ? throughTables(img, [table((v) => v * red), table((v) => v), table((v) => v * blue)]) : img,
});

/** The frame through sharp (raw in, raw out), for what is best done there: blur and lossy encoding. */
async function throughSharp(img: Image, step: (s: Sharp) => Sharp): Promise<Image> {
  const raw = { width: img.width, height: img.height, channels: img.channels };
  const { data } = await step(sharp(Buffer.from(img.data), { raw }))
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { ...img, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * The shifts `facerec eval pad --shifts` reads every operating point under. Each is strong enough to be
 * seen and within what cameras do: exposure a stop either way (gamma), a dim or bright room, a flat or
 * punchy sensor, a soft lens, heavy compression and the colour of tungsten or daylight-through-blinds.
 */
export const PHOTOMETRIC_SHIFTS: readonly PhotometricShift[] = [
  perPixel("gamma-0.6", "an exposure lifted in the mid-tones", (v) => 255 * (v / 255) ** 0.6),
  perPixel("gamma-1.6", "an exposure pulled down in the mid-tones", (v) => 255 * (v / 255) ** 1.6),
  perPixel("brightness+40", "a bright room", (v) => v + 40),
  perPixel("brightness-40", "a dim room", (v) => v - 40),
  perPixel("contrast-0.6", "a flat sensor or haze", (v) => 128 + (v - 128) * 0.6),
  perPixel("contrast-1.4", "a punchy sensor", (v) => 128 + (v - 128) * 1.4),
  {
    id: "blur-1.5",
    stands_for: "a soft lens or motion (Gaussian, sigma 1.5 px)",
    apply: (img) => throughSharp(img, (s) => s.blur(1.5)),
  },
  {
    id: "jpeg-30",
    stands_for: "a stream compressed hard (JPEG quality 30)",
    apply: async (img) => {
      const jpeg = await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: img.channels } })
        .jpeg({ quality: 30 })
        .toBuffer();
      const { data } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
      return { ...img, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    },
  },
  cast("warm", "tungsten light (red up 15%, blue down 15%)", 1.15, 0.85),
  cast("cool", "cold daylight (red down 15%, blue up 15%)", 0.85, 1.15),
];
