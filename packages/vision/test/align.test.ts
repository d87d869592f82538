import { describeWithShared, LFW } from "@facerec/testkit";
import { describe, expect, it } from "vitest";
import {
  ARCFACE_TEMPLATE,
  alignFace,
  applyAffine,
  type Image,
  invertAffine,
  type Point,
  similarityTransform,
} from "../src/index.js";
import { engineFor, load } from "./engine-fixture.js";

describe("similarity transform", () => {
  it("recovers a known rotation, scale and shift exactly", () => {
    const angle = 0.3;
    const scale = 1.7;
    const moved = ARCFACE_TEMPLATE.map((p) => ({
      x: scale * (Math.cos(angle) * p.x - Math.sin(angle) * p.y) + 40,
      y: scale * (Math.sin(angle) * p.x + Math.cos(angle) * p.y) - 12,
    }));
    const back = similarityTransform(moved, ARCFACE_TEMPLATE);
    moved.forEach((p, i) => {
      const q = applyAffine(back, p);
      expect(q.x).toBeCloseTo((ARCFACE_TEMPLATE[i] as Point).x, 6);
      expect(q.y).toBeCloseTo((ARCFACE_TEMPLATE[i] as Point).y, 6);
    });
    const there = invertAffine(back);
    expect(applyAffine(there, ARCFACE_TEMPLATE[2] as Point).x).toBeCloseTo((moved[2] as Point).x, 6);
  });

  it("warps a marked pixel onto the template position", () => {
    const src: Image = { width: 200, height: 200, channels: 3, data: new Uint8Array(200 * 200 * 3) };
    // A bright 3x3 blob at the "nose": after alignment it must sit at the template's nose point.
    const nose = { x: 120, y: 110 };
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++)
        src.data.fill(255, ((nose.y + dy) * 200 + nose.x + dx) * 3, ((nose.y + dy) * 200 + nose.x + dx) * 3 + 3);
    const landmarks = ARCFACE_TEMPLATE.map((p) => ({ x: p.x * 1.5 + 36, y: p.y * 1.5 + 2.4 }));
    landmarks[2] = nose;
    const aligned = alignFace(src, landmarks);
    let best = { v: -1, x: 0, y: 0 };
    for (let y = 0; y < 112; y++)
      for (let x = 0; x < 112; x++) {
        const v = aligned.data[(y * 112 + x) * 3] as number;
        if (v > best.v) best = { v, x, y };
      }
    expect(Math.abs(best.x - 56)).toBeLessThanOrEqual(2);
    expect(Math.abs(best.y - 72)).toBeLessThanOrEqual(2);
  });
});

describeWithShared("alignment on real faces", () => {
  it("maps the detected five points onto the ArcFace template (mean residual under 4.5 px, none over 8)", async () => {
    const engine = await engineFor({ liveness: "none" });
    for (const path of [LFW("Aaron_Peirsol", 1), LFW("George_W_Bush", 10), LFW("Serena_Williams", 3)]) {
      const img = await load(path);
      const [face] = await engine.analyse(img, { embed: false });
      expect(face).toBeDefined();
      const toCrop = similarityTransform(face?.landmarks ?? [], ARCFACE_TEMPLATE);
      const residuals = (face?.landmarks ?? []).map((p, i) => {
        const q = applyAffine(toCrop, p);
        return Math.hypot(q.x - (ARCFACE_TEMPLATE[i] as Point).x, q.y - (ARCFACE_TEMPLATE[i] as Point).y);
      });
      expect(residuals).toHaveLength(5);
      expect(residuals.reduce((s, r) => s + r, 0) / 5).toBeLessThan(4.5);
      expect(Math.max(...residuals)).toBeLessThan(8);
      expect([face?.aligned.width, face?.aligned.height]).toEqual([112, 112]);
      // Eyes are the left and right points and sit above the mouth, in image order.
      const [le, re, , lm] = face?.landmarks ?? [];
      expect((le as Point).x).toBeLessThan((re as Point).x);
      expect((le as Point).y).toBeLessThan((lm as Point).y);
    }
  });
});
