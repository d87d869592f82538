import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Box, FaceEngine, LivenessModel } from "@facerec/vision";
import { loadImage } from "../engine-options.js";
import { auc, bpcerAtApcer, type PadRates, padRates, roc, type Scored } from "../metrics.js";
import { mapConcurrent, Progress } from "../progress.js";

export interface PadEvalOptions {
  root: string;
  real: string;
  spoof: string;
  concurrency: number;
}

export interface PadModelReport extends PadRates {
  model: string;
  /** Threshold used for APCER/BPCER/ACER (the model's operating point, 0.5 on its live probability). */
  bpcer_at_apcer_5: number;
  threshold_at_apcer_5: number;
  auc: number;
}

export interface PadReport extends PadModelReport {
  bona_fide: number;
  attacks: number;
  no_face: number;
  models: PadModelReport[];
  seconds: number;
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
  const progress = new Progress("liveness", items.length);
  const scores = await mapConcurrent(items, options.concurrency, async (item) => {
    const img = await loadImage(item.path);
    const faces = await engine.detect(img);
    const largest = [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
    if (!largest) noFace++;
    const box: Box = largest?.box ?? { x: 0, y: 0, width: img.width, height: img.height };
    const perModel = await Promise.all(models.map((m) => m.score(img, box)));
    progress.tick();
    return perModel;
  });
  const reports = models.map((m, k): PadModelReport => {
    const scored: Scored[] = items.map((it, i) => ({ score: (scores[i] as number[])[k] as number, positive: it.positive }));
    const atFive = bpcerAtApcer(scored, 0.05);
    return {
      model: m.id,
      ...padRates(scored, 0.5),
      bpcer_at_apcer_5: atFive.bpcer,
      threshold_at_apcer_5: atFive.threshold,
      auc: auc(roc(scored)),
    };
  });
  const chosen = reports.find((r) => r.model === pick) ?? (reports[0] as PadModelReport);
  return {
    ...chosen,
    bona_fide: items.filter((i) => i.positive).length,
    attacks: items.filter((i) => !i.positive).length,
    no_face: noFace,
    models: reports,
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
  ].join("\n");
}
