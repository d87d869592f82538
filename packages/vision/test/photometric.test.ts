import { readFileSync } from "node:fs";
import { describeWithShared, LFW } from "@facerec/testkit";
import { expect, it } from "vitest";
import { decodeImage, PHOTOMETRIC_SHIFTS } from "../src/index.js";

describeWithShared("photometric shifts", () => {
  it("each changes a real photo's pixels, never its size, and says what it stands for", async () => {
    const img = await decodeImage(readFileSync(LFW("Aaron_Peirsol", 1)));
    const mean = (data: Uint8Array): number => data.reduce((s, v) => s + v, 0) / data.length;
    const means = new Map<string, number>();
    for (const shift of PHOTOMETRIC_SHIFTS) {
      const out = await shift.apply(img);
      expect([out.width, out.height, out.channels, out.data.length]).toEqual([
        img.width,
        img.height,
        img.channels,
        img.data.length,
      ]);
      expect(Buffer.compare(Buffer.from(out.data), Buffer.from(img.data))).not.toBe(0);
      expect(shift.stands_for.length).toBeGreaterThan(5);
      means.set(shift.id, mean(out.data));
    }
    // The light shifts go the way their names say.
    const base = mean(img.data);
    expect(means.get("brightness+40")).toBeGreaterThan(base);
    expect(means.get("brightness-40")).toBeLessThan(base);
    expect(means.get("gamma-0.6")).toBeGreaterThan(base);
    expect(means.get("gamma-1.6")).toBeLessThan(base);
    expect(new Set(PHOTOMETRIC_SHIFTS.map((s) => s.id)).size).toBe(PHOTOMETRIC_SHIFTS.length);
  });
});
