import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeWithShared, facerec, nuaaShots } from "@facerec/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { captureOf, wilson } from "../src/commands/calibrate-liveness.js";

describe("liveness calibration arithmetic", () => {
  it("gives the 95% Wilson interval of a count", () => {
    const none = wilson(0, 10);
    expect([none.value, none.low]).toEqual([0, 0]);
    expect(none.high).toBeCloseTo(0.2775, 4);
    const half = wilson(5, 10);
    expect(half.low).toBeCloseTo(0.2366, 4);
    expect(half.high).toBeCloseTo(0.7634, 4);
    expect(wilson(0, 0)).toEqual({ value: 0, low: 0, high: 1, of: 0 });
  });

  it("keeps a capture's frames together", () => {
    expect(captureOf("/a/real/0001_00_00_01_12.jpg")).toBe(captureOf("/a/real/0001_00_00_01_30.jpg"));
    expect(captureOf("/a/real/0001_00_00_01_12.jpg")).not.toBe(captureOf("/a/real/0001_00_00_02_12.jpg"));
    expect(captureOf("/a/attack/print.png")).toBe("/a/attack/print");
  });
});

describeWithShared("facerec calibrate liveness", () => {
  const work = mkdtempSync(join(tmpdir(), "facerec-calib-live-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("fits a threshold on the site's shots and checks it on captures it was not fitted on", async () => {
    const r = await facerec(
      "calibrate",
      "liveness",
      "--real",
      nuaaShots(join(work, "real"), "real_train.txt", 25),
      "--attack",
      nuaaShots(join(work, "attack"), "spoof_train.txt", 25),
      "--apcer",
      "0.1",
      "--json",
    );
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ kind: "facerec-liveness-calibration", model: "liveness128", target_apcer: 0.1 });
    expect(report.bona_fide + report.no_face).toBeGreaterThanOrEqual(70);
    expect(report.threshold).toBeGreaterThan(0);
    for (const rate of [report.held_out.apcer, report.held_out.bpcer]) {
      expect(rate.low).toBeLessThanOrEqual(rate.value);
      expect(rate.high).toBeGreaterThanOrEqual(rate.value);
      expect(rate.of).toBeGreaterThan(10);
    }
    // The two halves together hold every scored image.
    expect(report.held_out.apcer.of).toBeLessThan(report.attacks);
    expect(report.held_out.bpcer.of).toBeLessThan(report.bona_fide);
  });

  it("refuses a folder pair without both classes, with a one-line reason", async () => {
    const empty = join(work, "empty");
    mkdirSync(empty);
    const r = await facerec("calibrate", "liveness", "--real", empty, "--attack", empty);
    expect(r.code).toBe(64);
    expect(r.stderr.split("\n")[0]).toBe("facerec: calibration needs images in both the real and the attack folder");
  });
});
