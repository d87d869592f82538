import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Box, FaceEngine, LivenessModel, PhotometricShift } from "@facerec/vision";
import { loadImage } from "../engine-options.js";
import { bpcerAtApcer, padRates, type Scored } from "../metrics.js";
import { mapConcurrent, Progress } from "../progress.js";

/** The APCER a threshold is chosen at on the sessions it is fitted on (ISO/IEC 30107-3 reporting point). */
export const FIT_APCER = 0.05;

/** NUAA names its files `ID_glasses_pos_session_pic`: the session, or undefined for any other name. */
export function nuaaSession(path: string): string | undefined {
  return /(?:^|[\\/])\d{4}_\d{2}_\d{2}_(\d{2})_\d+\.[^.\\/]+$/.exec(path)?.[1];
}

/** One held-out session: the threshold chosen on the others, and what it does here. */
export interface SessionFold {
  held_out: string;
  bona_fide: number;
  attacks: number;
  /** Chosen at APCER 5% on the other sessions. */
  threshold: number;
  apcer: number;
  bpcer: number;
  /** What the best threshold for this session would give (how separable it is, not a figure a deployment gets). */
  bpcer_at_apcer_5_in_session: number;
}

/**
 * Leave one capture session out: a threshold fitted on the other sessions at APCER 5%, read on the one
 * left out. A new session brings its own light and its own prints, which is what a deployment meets.
 */
export function leaveOneSessionOut(scored: readonly Scored[], sessions: readonly string[]): SessionFold[] {
  return [...new Set(sessions)].sort().map((held) => {
    const inside = scored.filter((_, i) => sessions[i] !== held);
    const outside = scored.filter((_, i) => sessions[i] === held);
    const threshold = bpcerAtApcer(inside, FIT_APCER).threshold;
    const rates = padRates(outside, threshold);
    return {
      held_out: held,
      bona_fide: outside.filter((s) => s.positive).length,
      attacks: outside.filter((s) => !s.positive).length,
      threshold,
      apcer: rates.apcer,
      bpcer: rates.bpcer,
      bpcer_at_apcer_5_in_session: bpcerAtApcer(outside, FIT_APCER).bpcer,
    };
  });
}

/** A model's operating threshold under one photometric shift. */
export interface ShiftRow {
  shift: string;
  stands_for: string;
  apcer: number;
  bpcer: number;
}

export interface PadShiftReport {
  model: string;
  /** The threshold read under every shift: the one the product gates one frame on. */
  threshold: number;
  rows: ShiftRow[];
  /** The largest APCER any shift gave at that threshold. */
  worst_apcer: number;
}

/** A scored crop: the image file, its class and the face box found on the clean frame. */
export interface PadItem {
  path: string;
  positive: boolean;
  box: Box;
}

/**
 * Every item scored again under each shift, on the box found on the clean frame (the shift changes
 * light, not where the face is), with each model's operating threshold read on the shifted scores.
 */
export async function shiftedRates(
  models: readonly LivenessModel[],
  thresholds: readonly number[],
  items: readonly PadItem[],
  shifts: readonly PhotometricShift[],
  concurrency: number,
): Promise<PadShiftReport[]> {
  const perShift: number[][][] = [];
  const progress = new Progress("shifts", items.length * shifts.length);
  for (const shift of shifts) {
    perShift.push(
      await mapConcurrent(items, concurrency, async (item) => {
        const img = await shift.apply(await loadImage(item.path));
        const scores = await Promise.all(models.map((m) => m.score(img, item.box)));
        progress.tick();
        return scores;
      }),
    );
  }
  return models.map((m, k) => {
    const threshold = thresholds[k] as number;
    const rows = shifts.map((shift, s): ShiftRow => {
      const shifted = perShift[s] as number[][];
      const scored = items.map((it, i): Scored => ({ score: (shifted[i] as number[])[k] as number, positive: it.positive }));
      const rates = padRates(scored, threshold);
      return { shift: shift.id, stands_for: shift.stands_for, apcer: rates.apcer, bpcer: rates.bpcer };
    });
    return { model: m.id, threshold, rows, worst_apcer: Math.max(...rows.map((r) => r.apcer)) };
  });
}

const IMAGE = /\.(jpe?g|png|webp)$/i;

/**
 * Every `step`-th image under a folder-per-person root (sorted), starting at `offset` (below the step),
 * so a sample is the same on every run and two offsets give two samples with no photo in common.
 */
export function samplePhotos(root: string, count: number, offset = 0): string[] {
  const all = readdirSync(root)
    .sort()
    .flatMap((person) => {
      try {
        return readdirSync(join(root, person))
          .filter((f) => IMAGE.test(f))
          .sort()
          .map((f) => join(root, person, f));
      } catch {
        return [];
      }
    });
  const step = Math.max(1, Math.floor(all.length / count));
  if (offset >= step) throw new RangeError(`a photo offset is below ${step} (one step of the sample)`);
  return all.filter((_, i) => i % step === offset).slice(0, count);
}

/** How real photos (web photos of real people, all bona fide) fare at each model's operating threshold. */
export interface PhotoReport {
  model: string;
  photos: number;
  no_face: number;
  threshold: number;
  /** The share of photos with a face scored under the threshold: refused by the `required` policy. */
  refused: number;
  /** The score under which 5% of the photos fall: the highest threshold that refuses at most 5% of them. */
  score_at_5_percent: number;
}

/**
 * Score the face nearest the centre of each photo (as a news or ID photo puts its subject) with each
 * model, and report the share its operating threshold refuses.
 */
export async function photoRefusals(
  engine: FaceEngine,
  models: readonly LivenessModel[],
  thresholds: readonly number[],
  paths: readonly string[],
  concurrency: number,
): Promise<PhotoReport[]> {
  const progress = new Progress("photos", paths.length);
  const scores = await mapConcurrent(paths, concurrency, async (path) => {
    const img = await loadImage(path);
    const faces = await engine.detect(img);
    const centre = (b: Box) => Math.hypot(b.x + b.width / 2 - img.width / 2, b.y + b.height / 2 - img.height / 2);
    const nearest = [...faces].sort((a, b) => centre(a.box) - centre(b.box))[0];
    progress.tick();
    return nearest ? await Promise.all(models.map((m) => m.score(img, nearest.box))) : undefined;
  });
  const found = scores.filter((s): s is number[] => s !== undefined);
  return models.map((m, k) => {
    const own = found.map((s) => s[k] as number).sort((a, b) => a - b);
    const threshold = thresholds[k] as number;
    return {
      model: m.id,
      photos: paths.length,
      no_face: paths.length - found.length,
      threshold,
      refused: own.filter((s) => s < threshold).length / Math.max(1, own.length),
      score_at_5_percent: own[Math.floor(0.05 * own.length)] ?? 0,
    };
  });
}
