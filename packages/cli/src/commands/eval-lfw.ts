import { writeFileSync } from "node:fs";
import { cosine } from "@facerec/common";
import type { FaceEngine } from "@facerec/vision";
import { embedFiles } from "../embed-files.js";
import type { EmbeddingCache } from "../embedding-cache.js";
import { type Pair, type PairList, parsePairs } from "../lfw-pairs.js";
import { accuracyAt, bestThreshold, equalErrorRate, meanStd, type RocPoint, roc, type Scored, tarAtFar } from "../metrics.js";
import { rocCsv, rocSvg } from "../roc-plot.js";

export interface LfwEvalOptions {
  root: string;
  pairs: string;
  trainPairs?: string;
  rocPrefix: string;
  concurrency: number;
  cache?: EmbeddingCache;
}

export interface LfwReport {
  accuracy: number;
  accuracy_std: number;
  threshold: number;
  "tar_at_far_1e-3": number;
  "tar_at_far_1e-2": number;
  eer: number;
  failures: number;
  images: number;
  pairs: number;
  protocol: string;
  models: Record<string, string>;
  seconds: number;
  roc_files: string[];
}

/** A pair with a face missing on either side scores -1: it can never be accepted, so it counts against TAR. */
function score(pairs: readonly Pair[], vectors: Map<string, Float32Array>): (Scored & { fold: number })[] {
  return pairs.map((p) => {
    const a = vectors.get(p.a);
    const b = vectors.get(p.b);
    return { score: a && b ? cosine(a, b) : -1, positive: p.same, fold: p.fold };
  });
}

/** Accuracy per fold with the threshold chosen on the other folds (or fixed, when a training file gave one). */
function foldAccuracies(scored: (Scored & { fold: number })[], folds: number, fixed?: number): number[] {
  return Array.from({ length: folds }, (_, k) => {
    const test = scored.filter((s) => s.fold === k);
    const threshold = fixed ?? bestThreshold(scored.filter((s) => s.fold !== k));
    return accuracyAt(test, threshold);
  });
}

/** Give single-fold lists ten interleaved folds so that a spread can be reported. */
function withFolds(list: PairList): PairList {
  if (list.folds > 1) return list;
  return { folds: 10, pairs: list.pairs.map((p, i) => ({ ...p, fold: i % 10 })) };
}

export async function evalLfw(engine: FaceEngine, options: LfwEvalOptions): Promise<LfwReport> {
  const started = Date.now();
  const test = withFolds(parsePairs(options.pairs, options.root));
  const train = options.trainPairs ? parsePairs(options.trainPairs, options.root) : undefined;
  const paths = [...new Set([...test.pairs, ...(train?.pairs ?? [])].flatMap((p) => [p.a, p.b]))];
  const vectors = await embedFiles(engine, paths, options.concurrency, options.cache);
  const testScores = score(test.pairs, vectors);
  const threshold = train ? bestThreshold(score(train.pairs, vectors)) : bestThreshold(testScores);
  const accuracies = foldAccuracies(testScores, test.folds, train ? threshold : undefined);
  const { mean, std } = meanStd(accuracies);
  const curve: RocPoint[] = roc(testScores);
  writeFileSync(`${options.rocPrefix}.csv`, rocCsv(curve));
  writeFileSync(`${options.rocPrefix}.svg`, rocSvg(curve, `LFW ROC (${engine.modelIds.detector} + ${engine.modelIds.embedder})`));
  return {
    accuracy: mean,
    accuracy_std: std,
    threshold,
    "tar_at_far_1e-3": tarAtFar(curve, 1e-3),
    "tar_at_far_1e-2": tarAtFar(curve, 1e-2),
    eer: equalErrorRate(curve),
    failures: paths.length - vectors.size,
    images: paths.length,
    pairs: test.pairs.length,
    protocol: train ? "threshold from training pairs" : `${test.folds}-fold cross-validation`,
    models: engine.modelIds,
    seconds: (Date.now() - started) / 1000,
    roc_files: [`${options.rocPrefix}.csv`, `${options.rocPrefix}.svg`],
  };
}

export function formatLfw(r: LfwReport): string {
  const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
  return [
    `LFW verification, ${r.pairs} pairs, ${r.images} images (${r.protocol})`,
    `models      ${Object.entries(r.models)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")}`,
    `accuracy    ${pct(r.accuracy)} ± ${pct(r.accuracy_std)}`,
    `threshold   ${r.threshold.toFixed(4)} (cosine)`,
    `TAR@FAR=1e-3 ${pct(r["tar_at_far_1e-3"])}`,
    `TAR@FAR=1e-2 ${pct(r["tar_at_far_1e-2"])}`,
    `EER         ${pct(r.eer)}`,
    `failures    ${r.failures} image(s) with no face detected`,
    `ROC         ${r.roc_files.join(", ")}`,
    `time        ${r.seconds.toFixed(1)} s`,
  ].join("\n");
}
