import sharp, { type Metadata } from "sharp";
import { ImageError } from "./errors.js";
import type { Image } from "./image.js";

export type ImageFormat = "jpeg" | "png" | "webp" | "gif";

export interface DecodeLimits {
  /** Largest encoded input accepted, in bytes. */
  maxBytes: number;
  /** Largest decoded image accepted, in pixels (width x height), checked from the header before decoding. */
  maxPixels: number;
  /** Smallest side accepted, in pixels. */
  minSide: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxBytes: 20 * 1024 * 1024,
  maxPixels: 40_000_000,
  minSide: 16,
};

/** Identify the format from magic bytes: file names and declared types are not trusted. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  const starts = (...sig: number[]): boolean => sig.every((b, i) => bytes[i] === b);
  if (starts(0xff, 0xd8, 0xff)) return "jpeg";
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "png";
  if (starts(0x47, 0x49, 0x46, 0x38)) return "gif";
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50)
    return "webp";
  return undefined;
}

/**
 * Decode an encoded image to 8-bit RGB with EXIF orientation applied and alpha dropped. Greyscale and
 * palette images come out as RGB too, so every model sees the same layout.
 */
export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Promise<Image> {
  if (bytes.length === 0) throw new ImageError("EMPTY", "the image is empty (0 bytes)");
  if (bytes.length > limits.maxBytes) {
    throw new ImageError("TOO_LARGE", `the image is ${bytes.length} bytes; the limit is ${limits.maxBytes}`);
  }
  const format = sniffFormat(bytes);
  if (!format) {
    throw new ImageError("NOT_AN_IMAGE", "the data is not a JPEG, PNG, WebP or GIF image (unrecognised signature)");
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { failOn: "error", limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImageError("CORRUPT", `the ${format} header cannot be read: ${(error as Error).message}`);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width * height > limits.maxPixels) {
    throw new ImageError(
      "TOO_MANY_PIXELS",
      `the image is ${width}x${height} (${width * height} pixels); the limit is ${limits.maxPixels} pixels`,
    );
  }
  if (Math.min(width, height) < limits.minSide) {
    throw new ImageError("TOO_SMALL", `the image is ${width}x${height}; each side must be at least ${limits.minSide}`);
  }
  try {
    const { data, info } = await sharp(bytes, { failOn: "error", limitInputPixels: limits.maxPixels, pages: 1 })
      .rotate()
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected ${info.channels} channels after conversion`);
    return {
      width: info.width,
      height: info.height,
      channels: 3,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (error) {
    throw new ImageError("CORRUPT", `the ${format} data is corrupt or truncated: ${(error as Error).message}`);
  }
}

/** Resize a decoded image with libvips (used for whole-frame detector inputs, where quality matters). */
export async function resizeImage(img: Image, width: number, height: number): Promise<Image> {
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
    .resize(width, height, { fit: "fill", kernel: "linear" })
    .raw()
    .toBuffer();
  return { width, height, channels: img.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Encode an RGB image as PNG (used for annotated outputs and retained crops). */
export async function encodePng(img: Image): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
    .png()
    .toBuffer();
}
