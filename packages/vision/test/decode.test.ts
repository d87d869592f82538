import { crc32 } from "node:zlib";
import { describeWithShared, sharedBytes } from "@facerec/testkit";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { DEFAULT_DECODE_LIMITS, decodeImage, ImageError, sniffFormat } from "../src/index.js";

/** A PNG whose header claims `width` x `height` while its data is that of a 1x1 image (a decompression bomb). */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: "#000" } })
    .png()
    .toBuffer();
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  // Recompute the IHDR CRC so that only the size, not the checksum, is what is wrong.
  png.writeUInt32BE(crc32(png.subarray(12, 29)) >>> 0, 29);
  return png;
}

async function expectImageError(bytes: Uint8Array, code: string, limits = DEFAULT_DECODE_LIMITS): Promise<ImageError> {
  const error = await decodeImage(bytes, limits).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ImageError);
  expect((error as ImageError).code).toBe(code);
  expect((error as ImageError).message.length).toBeGreaterThan(10);
  return error as ImageError;
}

describeWithShared("decodeImage on real files", () => {
  it("applies EXIF orientation (a 640x480 phone shot stored rotated comes out portrait)", async () => {
    const bytes = sharedBytes("data", "antispoof_samples", "silentface", "image_T1.jpg");
    const meta = await sharp(bytes).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([640, 480, 6]);
    const img = await decodeImage(bytes);
    expect([img.width, img.height, img.channels]).toEqual([480, 640, 3]);
  });

  it("drops alpha from RGBA PNGs", async () => {
    const img = await decodeImage(sharedBytes("data", "facerec_examples", "test_images", "32bit.png"));
    expect([img.width, img.height, img.channels]).toEqual([626, 1200, 3]);
    expect(img.data.length).toBe(626 * 1200 * 3);
  });

  it("sniffs a GIF with no file extension and expands grey to RGB", async () => {
    const bytes = sharedBytes("data", "yalefaces", "subject02.happy");
    expect(sniffFormat(bytes)).toBe("gif");
    const img = await decodeImage(bytes);
    expect([img.width, img.height, img.channels]).toEqual([320, 243, 3]);
    const i = (120 * 320 + 160) * 3;
    expect(img.data[i]).toBe(img.data[i + 1]);
  });

  it("reads WebP content whatever the file is called", async () => {
    const webp = await sharp(sharedBytes("data", "facerec_examples", "misc", "obama_small.jpg"))
      .webp()
      .toBuffer();
    expect(sniffFormat(webp)).toBe("webp");
    const img = await decodeImage(webp);
    expect([img.width, img.height]).toEqual([320, 240]);
  });

  it("rejects a truncated JPEG as corrupt", async () => {
    const jpeg = sharedBytes("data", "facerec_examples", "misc", "obama-480p.jpg");
    await expectImageError(jpeg.subarray(0, Math.floor(jpeg.length / 3)), "CORRUPT");
  });

  it("rejects a JPEG larger than the byte limit before decoding it", async () => {
    const jpeg = sharedBytes("data", "facerec_examples", "misc", "obama-1080p.jpg");
    const error = await expectImageError(jpeg, "TOO_LARGE", { ...DEFAULT_DECODE_LIMITS, maxBytes: 10_000 });
    expect(error.message).toContain("10000");
  });
});

describe("decodeImage on hostile input", () => {
  it("rejects zero bytes", async () => {
    await expectImageError(new Uint8Array(0), "EMPTY");
  });

  it("rejects text sent as an image", async () => {
    await expectImageError(Buffer.from("hello, this is not an image\n".repeat(20)), "NOT_AN_IMAGE");
  });

  it("rejects a 20000x20000 PNG from its header without allocating it", async () => {
    const bomb = await pngClaiming(20000, 20000);
    expect(bomb.length).toBeLessThan(200);
    const before = process.memoryUsage().rss;
    const error = await expectImageError(bomb, "TOO_MANY_PIXELS");
    expect(error.message).toContain("20000x20000");
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it("rejects a valid signature followed by garbage", async () => {
    const junk = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 0x5a)]);
    await expectImageError(junk, "CORRUPT");
  });

  it("rejects images too small to hold a face", async () => {
    const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#888" } })
      .png()
      .toBuffer();
    await expectImageError(tiny, "TOO_SMALL");
  });
});
