import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { FaceEngine } from "@facerec/vision";
import { loadImage } from "../engine-options.js";
import { bpcerAtApcer, padRates, type Scored } from "../metrics.js";
import { mapConcurrent, Progress } from "../progress.js";
import { UsageError } from "../usage.js";

export interface LivenessCalibrationOptions {
  /** Folder of real presentations (the deployment's own cameras, people in front of them). */
  real: string;
  /** Folder of attacks (prints, screens) shown to the same cameras. */
  attack: string;
  /** The APCER the threshold is fitted at. */
  apcer: number;
  concurrency: number;
}

/** A rate with its 95% Wilson interval: how far a count of this size can be trusted. */
export interface RateWithInterval {
  value: number;
  low: number;
  high: number;
  of: number;
}

export interface LivenessCalibrationReport {
  kind: "facerec-liveness-calibration";
  model: string;
  bona_fide: number;
  attacks: number;
  no_face: number;
  target_apcer: number;
  /** Fitted on every capture: the threshold to run with. */
  threshold: number;
  /** A threshold fitted on half the captures, read on the other half: what the one above can be expected to do. */
  held_out: { threshold: number; apcer: RateWithInterval; bpcer: RateWithInterval };
}

const IMAGE = /\.(jpe?g|png|webp|gif|bmp)$/i;

/** Image files under a folder and its sub-folders (one level: a folder per camera or session is usual). */
function imagesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory())
        return readdirSync(path)
          .sort()
          .filter((f) => IMAGE.test(f))
          .map((f) => join(path, f));
      return IMAGE.test(name) ? [path] : [];
    });
}

/**
 * The capture a file belongs to: its name without a trailing `_<frame>` (frames of one capture are
 * alike, so they stay on one side of the split), or the file itself.
 */
export function captureOf(path: string): string {
  return join(
    path,
    "..",
    basename(path)
      .replace(/_\d+\.[^.]+$/, "")
      .replace(/\.[^.]+$/, ""),
  );
}

/** The 95% Wilson score interval of `hits` in `of`. */
export function wilson(hits: number, of: number): RateWithInterval {
  if (of === 0) return { value: 0, low: 0, high: 1, of };
  const z = 1.96;
  const p = hits / of;
  const centre = (p + (z * z) / (2 * of)) / (1 + (z * z) / of);
  const half = (z * Math.sqrt((p * (1 - p)) / of + (z * z) / (4 * of * of))) / (1 + (z * z) / of);
  return { value: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half), of };
}

/**
 * Fit the liveness threshold on a deployment's own real and attack shots. Captures alternate between a
 * fitting half and a checking half (sorted by name), so the check is on captures the threshold did not
 * see; the threshold to run with is then fitted on all of them.
 */
export async function calibrateLiveness(
  engine: FaceEngine,
  options: LivenessCalibrationOptions,
): Promise<LivenessCalibrationReport> {
  const scorer = engine.liveness;
  if (!scorer) throw new UsageError("no liveness model is loaded: leave out --liveness none");
  const items = [
    ...imagesUnder(options.real).map((path) => ({ path, positive: true })),
    ...imagesUnder(options.attack).map((path) => ({ path, positive: false })),
  ];
  if (!items.some((i) => i.positive) || !items.some((i) => !i.positive))
    throw new UsageError("calibration needs images in both the real and the attack folder");
  const progress = new Progress("liveness calibration", items.length);
  const scores = await mapConcurrent(items, options.concurrency, async (item) => {
    const img = await loadImage(item.path);
    const faces = await engine.detect(img);
    const largest = [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
    progress.tick();
    return largest ? await scorer.score(img, largest.box) : undefined;
  });
  const scored = items.flatMap((it, i) => {
    const score = scores[i];
    return score === undefined ? [] : [{ score, positive: it.positive, capture: captureOf(it.path) }];
  });
  const captures = [...new Set(scored.map((s) => s.capture))].sort();
  const fitting = new Set(captures.filter((_, i) => i % 2 === 0));
  const fit: Scored[] = scored.filter((s) => fitting.has(s.capture));
  const check: Scored[] = scored.filter((s) => !fitting.has(s.capture));
  const halfThreshold = bpcerAtApcer(fit, options.apcer).threshold;
  const rates = padRates(check, halfThreshold);
  const checkAttacks = check.filter((s) => !s.positive).length;
  const checkReal = check.length - checkAttacks;
  return {
    kind: "facerec-liveness-calibration",
    model: scorer.id,
    bona_fide: scored.filter((s) => s.positive).length,
    attacks: scored.filter((s) => !s.positive).length,
    no_face: items.length - scored.length,
    target_apcer: options.apcer,
    threshold: bpcerAtApcer(scored, options.apcer).threshold,
    held_out: {
      threshold: halfThreshold,
      apcer: wilson(Math.round(rates.apcer * checkAttacks), checkAttacks),
      bpcer: wilson(Math.round(rates.bpcer * checkReal), checkReal),
    },
  };
}

export function formatLivenessCalibration(r: LivenessCalibrationReport): string {
  const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
  const rate = (x: RateWithInterval): string => `${pct(x.value)} (95% interval ${pct(x.low)} to ${pct(x.high)}, of ${x.of})`;
  return [
    `${r.model}: ${r.bona_fide} real and ${r.attacks} attack images with a face (${r.no_face} without)`,
    `threshold at APCER ${pct(r.target_apcer)}, fitted on every capture: ${r.threshold.toFixed(4)}`,
    `held out: fitted on half the captures (${r.held_out.threshold.toFixed(4)}), on the other half APCER ${rate(r.held_out.apcer)}, BPCER ${rate(r.held_out.bpcer)}`,
    `run with it: FACEREC_MIN_LIVENESS=${r.threshold.toFixed(4)} (and save this output in the evidence folder for the notice)`,
  ].join("\n");
}
