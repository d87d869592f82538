import { readFileSync } from "node:fs";
import { describeWithShared, shared } from "@facerec/testkit";
import sharp from "sharp";
import { expect, it } from "vitest";
import { type Box, cropResize, decodeImage, ModelCatalogue, reduceToNchw, toNchw } from "../src/index.js";
import { engineFor, load } from "./engine-fixture.js";

interface Annotated {
  file: string;
  faces: { box: [number, number, number, number] }[];
}

const dlib = (...p: string[]): string => shared("data", "detection_groups", "dlib_faces", ...p);

/** A labelled face counts as found when a detection's box contains its centre and is of a similar size. */
function matches(truth: [number, number, number, number], d: Box): boolean {
  const [x, y, w, h] = truth;
  const cx = x + w / 2;
  const cy = y + h / 2;
  const inside = cx >= d.x && cx <= d.x + d.width && cy >= d.y && cy <= d.y + d.height;
  const ratio = Math.sqrt((d.width * d.height) / (w * h));
  return inside && ratio > 0.6 && ratio < 2.2;
}

async function recall(detector: string | undefined): Promise<{ found: number; total: number; extra: number }> {
  const engine = await engineFor(detector ? { detector, liveness: "none" } : { liveness: "none" });
  const { images } = JSON.parse(readFileSync(dlib("annotations.json"), "utf8")) as { images: Annotated[] };
  let found = 0;
  let total = 0;
  let extra = 0;
  for (const image of images) {
    const detections = await engine.detect(await load(dlib(image.file)));
    const hits = image.faces.filter((f) => detections.some((d) => matches(f.box, d.box))).length;
    found += hits;
    total += image.faces.length;
    extra += Math.max(0, detections.length - image.faces.length);
  }
  return { found, total, extra };
}

describeWithShared("face detection", () => {
  it("the default detector finds at least 90% of the 43 hand-labelled faces in the dlib scenes", async () => {
    const r = await recall(undefined);
    expect(r.total).toBe(43);
    expect(r.found / r.total).toBeGreaterThanOrEqual(0.9);
  });

  it("YuNet finds at least 90% of them too, each with five landmarks inside its box", async () => {
    const r = await recall("yunet");
    expect(r.found / r.total).toBeGreaterThanOrEqual(0.9);
    const engine = await engineFor({ detector: "yunet", liveness: "none" });
    const faces = await engine.detect(await load(dlib("2008_007676.jpg")));
    for (const f of faces) {
      expect(f.landmarks).toHaveLength(5);
      for (const p of f.landmarks ?? []) {
        expect(p.x).toBeGreaterThan(f.box.x - 2);
        expect(p.x).toBeLessThan(f.box.x + f.box.width + 2);
      }
    }
  });

  it("SCRFD-500M (evaluation-only pack) decodes too: at least 85% of the labelled faces", async () => {
    const r = await recall("scrfd_500m");
    expect(r.found / r.total).toBeGreaterThanOrEqual(0.85);
  });

  it("counts the six faces of a group scene", async () => {
    const engine = await engineFor({ liveness: "none" });
    const faces = await engine.detect(await load(shared("data", "faceapi_bbt", "group", "bbt4.jpg")));
    expect(faces).toHaveLength(6);
  });

  it("finds no human face in a picture of dogs", async () => {
    const engine = await engineFor({ liveness: "none" });
    expect(await engine.detect(await load(dlib("dogs.jpg")))).toHaveLength(0);
  });

  it("drops faces below the minimum size", async () => {
    const engine = await engineFor({ liveness: "none", detect: { minFaceSize: 80 } });
    const small = await engine.detect(await load(dlib("2008_007676.jpg")));
    for (const f of small) expect(Math.min(f.box.width, f.box.height)).toBeGreaterThanOrEqual(80);
    const all = await (await engineFor({ liveness: "none" })).detect(await load(dlib("2008_007676.jpg")));
    expect(small.length).toBeLessThan(all.length);
  });
});

describeWithShared("detector input from a camera frame", () => {
  it("reduces a frame twice the input by 2x2 block means, as the general resize path does", async () => {
    const photo = readFileSync(shared("data", "facerec_examples", "knn_examples", "test", "obama_and_biden.jpg"));
    const frame = await decodeImage(await sharp(photo).resize(640, 480, { fit: "fill" }).png().toBuffer());
    const spec = ModelCatalogue.builtIn().resolve("detector").input;
    const fast = reduceToNchw(frame, 2, spec);
    // cropResize at exactly 2x averages the same four pixels, then rounds to a byte.
    const general = toNchw(cropResize(frame, 0, 0, 640, 480, spec.width, spec.height), spec);
    expect(fast.length).toBe(general.length);
    let worst = 0;
    for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs((fast[i] as number) - (general[i] as number)));
    expect(worst).toBeLessThanOrEqual(0.5 / spec.std + 1e-6);
    expect(() => reduceToNchw({ ...frame, width: 641 }, 2, spec)).toThrow(/does not divide by 2/);

    // Bytes that cannot be read as aligned words take the byte-wise loop, with the same values; a target
    // array is written in place.
    const shifted = new Uint8Array(frame.data.length + 1).subarray(1);
    shifted.set(frame.data);
    const target = new Float32Array(fast.length);
    expect(reduceToNchw({ ...frame, data: shifted }, 2, spec, target)).toBe(target);
    expect(target).toEqual(fast);
    expect(() => reduceToNchw(frame, 2, spec, new Float32Array(7))).toThrow(/holds 7 values/);

    // Other whole factors take the general loop: each value the mean of its 3x3 block, normalised.
    const big = await decodeImage(await sharp(photo).resize(960, 720, { fit: "fill" }).png().toBuffer());
    const reduced = reduceToNchw(big, 3, spec);
    const plane = spec.width * spec.height;
    for (const [x, y] of [
      [0, 0],
      [100, 50],
      [319, 239],
      [200, 180],
    ] as const) {
      for (const [c, channel] of (spec.colour === "BGR" ? [2, 1, 0] : [0, 1, 2]).entries()) {
        let sum = 0;
        for (let j = 0; j < 3; j++)
          for (let i = 0; i < 3; i++) sum += big.data[((3 * y + j) * 960 + 3 * x + i) * 3 + channel] as number;
        expect(reduced[c * plane + y * spec.width + x]).toBeCloseTo((sum / 9 - spec.mean) / spec.std, 4);
      }
    }
  });
});
