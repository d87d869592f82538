import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Box,
  type FaceEngine,
  joinedFeatures,
  type LivenessHeadFile,
  type LivenessModel,
  PHOTOMETRIC_SHIFTS,
  trackLiveness,
} from "@facerec/vision";
import { loadImage } from "../engine-options.js";
import { fitLogistic, leaveOneGroupOut } from "../logistic.js";
import { auc, bpcerAtApcer, type PadRates, padRates, roc, type Scored } from "../metrics.js";
import { mapConcurrent, Progress } from "../progress.js";
import {
  leaveOneSessionOut,
  nuaaSession,
  type PadItem,
  type PadShiftReport,
  type PhotoReport,
  photoRefusals,
  type SessionFold,
  samplePhotos,
  shiftedRates,
} from "./pad-transfer.js";

export interface PadEvalOptions {
  root: string;
  real: string;
  spoof: string;
  concurrency: number;
  /**
   * Also learn a logistic head on the models' last-layer features, checked leaving one subject out
   * (the first folder under each class's root is the subject); the models must expose their features.
   */
  head?: boolean;
  /** With `head`: fit the head on every crop at HEAD_LAMBDA and write it here (a LivenessHeadFile). */
  writeHead?: string;
  /**
   * Also score windows of this many consecutive frames of one capture, as a camera's track gives them:
   * files named `<capture>_<frame>.<ext>` (NUAA's) are one capture's frames, in frame order.
   */
  track?: number;
  /**
   * Also leave one capture session out (NUAA file names carry it): a threshold fitted on the other
   * sessions, read on the one left out; with `head`, the head is checked leaving a session out too.
   */
  sessions?: boolean;
  /** Also read each model's operating threshold under every photometric shift (PHOTOMETRIC_SHIFTS). */
  shifts?: boolean;
  /**
   * Also score this many real photos sampled from a folder-per-person root (LFW: all bona fide), from
   * `offset` (a sample other than the one a threshold was chosen on).
   */
  photos?: { root: string; count: number; offset: number };
}

/** A model's rates over windows of consecutive frames, each scored by trackLiveness. */
export interface PadTrackReport {
  frames: number;
  windows: number;
  bpcer_at_apcer_5: number;
  /** The window score at which APCER was 5%. */
  threshold_at_apcer_5: number;
  /** Windows' APCER and BPCER at the single-frame APCER-5% threshold (what a gate set for one frame does). */
  at_frame_threshold: { apcer: number; bpcer: number };
  auc: number;
}

/** The learnt head's cross-validated rates, at each L2 weight tried. */
export interface PadHeadReport {
  features: number;
  /** What one held-out fold is: a subject, or (with `sessions`) a capture session. */
  left_out: "subject" | "session";
  subjects: number;
  rows: { lambda: number; bpcer_at_apcer_5: number; auc: number }[];
}

export interface PadModelReport extends PadRates {
  model: string;
  /** Threshold used for APCER/BPCER/ACER (the model's operating point, 0.5 on its live probability). */
  bpcer_at_apcer_5: number;
  threshold_at_apcer_5: number;
  auc: number;
  /**
   * The threshold the product gates one uploaded photo on: the pack's `photo_bpcer_5e-2`, else its
   * `apcer_5e-2`, else 0.5.
   */
  operating_threshold: number;
  /** APCER and BPCER at the operating threshold, on the clean crops. */
  at_operating: { apcer: number; bpcer: number };
  track?: PadTrackReport;
  sessions?: SessionFold[];
}

export interface PadReport extends PadModelReport {
  bona_fide: number;
  attacks: number;
  no_face: number;
  models: PadModelReport[];
  head?: PadHeadReport;
  shifts?: PadShiftReport[];
  photos?: PhotoReport[];
  seconds: number;
}

/** The L2 weight of the head that is written; named before any was measured. */
const HEAD_LAMBDA = 10;
/** The L2 weights the head is checked with: HEAD_LAMBDA and two beside it, to show the spread. */
const HEAD_LAMBDAS = [1, HEAD_LAMBDA, 100];

/**
 * Windows of `size` consecutive frames of each capture (the file name without its trailing
 * `_<frame>`), in frame order: each window's item indices. A capture's last partial window is left out.
 */
export function frameWindows(paths: readonly string[], size: number): number[][] {
  const captures = new Map<string, { frame: number; index: number }[]>();
  for (const [index, path] of paths.entries()) {
    const m = /^(.*)_(\d+)\.[^.\\/]+$/.exec(path);
    if (!m) throw new RangeError(`--track needs files named <capture>_<frame>.<ext>; ${path} is not`);
    const frames = captures.get(m[1] as string) ?? [];
    frames.push({ frame: Number(m[2]), index });
    captures.set(m[1] as string, frames);
  }
  const windows: number[][] = [];
  for (const frames of captures.values()) {
    frames.sort((a, b) => a.frame - b.frame);
    for (let at = 0; at + size <= frames.length; at += size) windows.push(frames.slice(at, at + size).map((f) => f.index));
  }
  return windows;
}

/** The two rates of a threshold, without the rest of its report. */
const atOperating = ({ apcer, bpcer }: PadRates) => ({ apcer, bpcer });

/** A crop's capture session, for leaving one out; a name that does not carry one is refused. */
function sessionOf(path: string): string {
  const session = nuaaSession(path);
  if (session === undefined)
    throw new RangeError(`--sessions needs NUAA file names (ID_glasses_pos_session_pic); ${path} is not one`);
  return session;
}

const readList = (file: string): string[] =>
  readFileSync(file, "utf8")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

/** Score every listed image with every liveness model, on the largest detected face (the whole image if none). */
export async function evalPad(
  engine: FaceEngine,
  models: LivenessModel[],
  options: PadEvalOptions,
  pick: string,
): Promise<PadReport> {
  const started = Date.now();
  const items = [
    ...readList(options.real).map((p) => ({ path: join(options.root, p), positive: true })),
    ...readList(options.spoof).map((p) => ({ path: join(options.root, p), positive: false })),
  ];
  let noFace = 0;
  const features: Float32Array[] = [];
  const boxes: Box[] = [];
  const progress = new Progress("liveness", items.length);
  const scores = await mapConcurrent(items, options.concurrency, async (item) => {
    const img = await loadImage(item.path);
    const faces = await engine.detect(img);
    const largest = [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
    if (!largest) noFace++;
    const box: Box = largest?.box ?? { x: 0, y: 0, width: img.width, height: img.height };
    boxes[items.indexOf(item)] = box;
    const perModel = await Promise.all(models.map((m) => m.score(img, box)));
    if (options.head) features[items.indexOf(item)] = (await joinedFeatures(models, img, [box]))[0] as Float32Array;
    progress.tick();
    return perModel;
  });
  // Real and attack captures never share a window: their paths differ in the class folder.
  const windows = options.track
    ? frameWindows(
        items.map((it) => it.path),
        options.track,
      )
    : undefined;
  const sessions = options.sessions ? items.map((it) => sessionOf(it.path)) : undefined;
  const operating = models.map((m) => m.model.thresholds?.["photo_bpcer_5e-2"] ?? m.model.thresholds?.["apcer_5e-2"] ?? 0.5);
  const reports = models.map((m, k): PadModelReport => {
    const scored: Scored[] = items.map((it, i) => ({ score: (scores[i] as number[])[k] as number, positive: it.positive }));
    const atFive = bpcerAtApcer(scored, 0.05);
    let track: PadTrackReport | undefined;
    if (windows && options.track) {
      const byWindow: Scored[] = windows.map((w) => ({
        score: trackLiveness(w.map((i) => (scored[i] as Scored).score)),
        positive: (items[w[0] as number] as { positive: boolean }).positive,
      }));
      const windowAtFive = bpcerAtApcer(byWindow, 0.05);
      const atFrame = padRates(byWindow, atFive.threshold);
      track = {
        frames: options.track,
        windows: windows.length,
        bpcer_at_apcer_5: windowAtFive.bpcer,
        threshold_at_apcer_5: windowAtFive.threshold,
        at_frame_threshold: { apcer: atFrame.apcer, bpcer: atFrame.bpcer },
        auc: auc(roc(byWindow)),
      };
    }
    return {
      model: m.id,
      ...padRates(scored, 0.5),
      bpcer_at_apcer_5: atFive.bpcer,
      threshold_at_apcer_5: atFive.threshold,
      auc: auc(roc(scored)),
      operating_threshold: operating[k] as number,
      at_operating: atOperating(padRates(scored, operating[k] as number)),
      ...(track ? { track } : {}),
      ...(sessions ? { sessions: leaveOneSessionOut(scored, sessions) } : {}),
    };
  });
  const chosen = reports.find((r) => r.model === pick) ?? (reports[0] as PadModelReport);
  let head: PadHeadReport | undefined;
  if (options.head) {
    // NUAA lists read ClientFace/0001/... : the folder under the class is the subject.
    const subjects = sessions ?? items.map((it) => it.path.split(/[\\/]/).at(-2) ?? "");
    const labels = items.map((it) => (it.positive ? 1 : 0));
    const thresholds = new Map<number, number>();
    head = {
      features: features[0]?.length ?? 0,
      left_out: sessions ? "session" : "subject",
      subjects: new Set(subjects).size,
      rows: HEAD_LAMBDAS.map((lambda) => {
        const scores = leaveOneGroupOut(features, labels, subjects, lambda);
        const scored: Scored[] = items.map((it, i) => ({ score: scores[i] as number, positive: it.positive }));
        const atFive = bpcerAtApcer(scored, 0.05);
        thresholds.set(lambda, atFive.threshold);
        return { lambda, bpcer_at_apcer_5: atFive.bpcer, auc: auc(roc(scored)) };
      }),
    };
    if (options.writeHead) {
      const fitted = fitLogistic(features, labels, HEAD_LAMBDA);
      const chosenRow = head.rows.find((r) => r.lambda === HEAD_LAMBDA) as PadHeadReport["rows"][number];
      const file: LivenessHeadFile = {
        kind: "facerec-liveness-head",
        version: 1,
        models: models.map((m) => m.id),
        head: { mean: [...fitted.mean], scale: [...fitted.scale], weights: [...fitted.weights] },
        lambda: HEAD_LAMBDA,
        threshold_at_apcer_5: thresholds.get(HEAD_LAMBDA) as number,
        trained_on: {
          bona_fide: labels.filter((l) => l === 1).length,
          attacks: labels.filter((l) => l === 0).length,
          subjects: head.subjects,
        },
        cross_validated: { bpcer_at_apcer_5: chosenRow.bpcer_at_apcer_5, auc: chosenRow.auc },
      };
      writeFileSync(options.writeHead, `${JSON.stringify(file)}\n`);
    }
  }
  const padItems = (): PadItem[] => items.map((it, i) => ({ ...it, box: boxes[i] as Box }));
  const shifts = options.shifts
    ? await shiftedRates(models, operating, padItems(), PHOTOMETRIC_SHIFTS, options.concurrency)
    : undefined;
  const photos = options.photos
    ? await photoRefusals(
        engine,
        models,
        operating,
        samplePhotos(options.photos.root, options.photos.count, options.photos.offset),
        options.concurrency,
      )
    : undefined;
  return {
    ...chosen,
    bona_fide: items.filter((i) => i.positive).length,
    attacks: items.filter((i) => !i.positive).length,
    no_face: noFace,
    models: reports,
    ...(head ? { head } : {}),
    ...(shifts ? { shifts } : {}),
    ...(photos ? { photos } : {}),
    seconds: (Date.now() - started) / 1000,
  };
}

export function formatPad(r: PadReport): string {
  const pct = (v: number): string => `${(100 * v).toFixed(2)}%`.padStart(8);
  const rows = r.models.map(
    (m) =>
      `${m.model.padEnd(14)} ${pct(m.apcer)} ${pct(m.bpcer)} ${pct(m.acer)}   ${pct(m.bpcer_at_apcer_5)} (t=${m.threshold_at_apcer_5.toFixed(3)})  ${m.auc.toFixed(4)}`,
  );
  return [
    `Presentation attack detection: ${r.bona_fide} bona fide, ${r.attacks} attacks, ${r.no_face} without a detected face (whole image used)`,
    `model             APCER    BPCER     ACER   BPCER@APCER=5%              AUC   (APCER/BPCER/ACER at live probability 0.5)`,
    ...rows,
    ...r.models.flatMap((m) =>
      m.track
        ? [
            `${m.model} over windows of ${m.track.frames} consecutive frames (${m.track.windows} windows, mean log-odds): BPCER@APCER=5% ${pct(m.track.bpcer_at_apcer_5)} (t=${m.track.threshold_at_apcer_5.toFixed(3)})   AUC ${m.track.auc.toFixed(4)}; at the one-frame threshold APCER ${pct(m.track.at_frame_threshold.apcer)}, BPCER ${pct(m.track.at_frame_threshold.bpcer)}`,
          ]
        : [],
    ),
    ...(r.head
      ? [
          `logistic head on both models' last-layer features (${r.head.features}), leaving one of ${r.head.subjects} ${r.head.left_out}s out:`,
          ...r.head.rows.map(
            (h) => `  L2 ${String(h.lambda).padEnd(5)} BPCER@APCER=5% ${pct(h.bpcer_at_apcer_5)}   AUC ${h.auc.toFixed(4)}`,
          ),
        ]
      : []),
    ...r.models.map(
      (m) =>
        `${m.model} at its operating threshold ${m.operating_threshold.toFixed(3)}: APCER ${pct(m.at_operating.apcer)}, BPCER ${pct(m.at_operating.bpcer)}`,
    ),
    ...r.models.flatMap((m) =>
      (m.sessions ?? []).map(
        (f) =>
          `${m.model} leaving session ${f.held_out} out (${f.bona_fide} bona fide, ${f.attacks} attacks): threshold ${f.threshold.toFixed(3)} from the other sessions gives APCER ${pct(f.apcer)}, BPCER ${pct(f.bpcer)} (the session's own best: BPCER ${pct(f.bpcer_at_apcer_5_in_session)} at APCER 5%)`,
      ),
    ),
    ...(r.shifts ?? []).flatMap((m) => [
      `${m.model} at its operating threshold ${m.threshold.toFixed(3)} under photometric shifts (worst APCER ${pct(m.worst_apcer)}):`,
      ...m.rows.map((row) => `  ${row.shift.padEnd(14)} APCER ${pct(row.apcer)}  BPCER ${pct(row.bpcer)}   ${row.stands_for}`),
    ]),
    ...(r.photos ?? []).map(
      (p) =>
        `${p.model}: of ${p.photos - p.no_face} real photos with a face (${p.no_face} without), ${pct(p.refused)} score under ${p.threshold.toFixed(3)} (refused by the "required" policy); 5% score under ${p.score_at_5_percent.toFixed(3)}`,
    ),
  ].join("\n");
}
