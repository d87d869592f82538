import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cosine, l2normalise } from "@facerec/common";
import { SUBJECT_FMRS, thresholdAtFmr } from "@facerec/gallery";
import type { FaceEngine } from "@facerec/vision";
import { embedFiles } from "../embed-files.js";
import type { EmbeddingCache } from "../embedding-cache.js";

export interface CalibrateOptions {
  root: string;
  /** An LFW people list: a count line, then `Name<TAB>images` lines. */
  people: string;
  pairs: number;
  concurrency: number;
  cache?: EmbeddingCache;
}

export interface CalibrationReport {
  model: string;
  people: number;
  images: number;
  impostor_pairs: number;
  /** Subjects (centroids of up to SUBJECT_TEMPLATES images) and the strangers' images scored against each. */
  subject_comparisons: number;
  thresholds: Record<string, number>;
}

/**
 * Impostor scores a subject-tail rate needs beyond it. On LFW's peopleDevTrain (11.3M comparisons) the
 * 11 scores beyond 1e-6 sat at 0.664 against 0.495 at 1e-5: mislabelled and duplicated people, not
 * strangers, so a rate is read only where a hundred scores make it. @default 100
 */
const TAIL_SCORES = 100;

/** Templates a calibration subject's centroid is made of: the three a subject is usually enrolled with. */
const SUBJECT_TEMPLATES = 3;

/**
 * A stranger's score against a whole enrolled subject, as the product decides (the centroid of its
 * templates): every person with two images or more becomes a subject of up to SUBJECT_TEMPLATES, and
 * every image of every other person is scored against it. Read off at each of SUBJECT_FMRS that has
 * TAIL_SCORES impostor scores beyond it.
 */
function subjectTail(byPerson: readonly Float32Array[][]): { comparisons: number; thresholds: Record<string, number> } {
  const subjects = byPerson.flatMap((vectors, person) =>
    vectors.length >= 2 ? [{ person, centroid: l2normalise(meanOf(vectors.slice(0, SUBJECT_TEMPLATES))) }] : [],
  );
  const scores: number[] = [];
  for (const { person, centroid } of subjects) {
    for (const [other, vectors] of byPerson.entries()) {
      if (other !== person) for (const v of vectors) scores.push(cosine(centroid, v));
    }
  }
  const thresholds: Record<string, number> = {};
  for (const rate of SUBJECT_FMRS) {
    if (scores.length * Number(rate) >= TAIL_SCORES)
      thresholds[`subject_fmr_${rate}`] = Number(thresholdAtFmr(scores, Number(rate)).toFixed(4));
  }
  return { comparisons: scores.length, thresholds };
}

function meanOf(vectors: readonly Float32Array[]): Float32Array {
  const mean = new Float32Array((vectors[0] as Float32Array).length);
  for (const v of vectors) for (let i = 0; i < mean.length; i++) (mean[i] as number) += v[i] as number;
  return mean;
}

/** Sample impostor pairs (different people) deterministically and read off thresholds at several FMRs. */
export async function calibrate(engine: FaceEngine, options: CalibrateOptions): Promise<CalibrationReport> {
  const lines = readFileSync(options.people, "utf8").trim().split(/\r?\n/).slice(1);
  const people = lines.map((l) => {
    const [name = "", count = "0"] = l.trim().split(/\s+/);
    return Array.from({ length: Number(count) }, (_, i) =>
      join(options.root, name, `${name}_${String(i + 1).padStart(4, "0")}.jpg`),
    );
  });
  const vectors = await embedFiles(engine, people.flat(), options.concurrency, options.cache);
  const byPerson = people.map((files) => files.flatMap((f) => vectors.get(f) ?? []));
  const usable = byPerson.filter((v) => v.length > 0);
  let seed = 20261127;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const scores: number[] = [];
  while (scores.length < options.pairs) {
    const a = rand(usable.length);
    const b = rand(usable.length);
    if (a === b) continue;
    const va = usable[a] as Float32Array[];
    const vb = usable[b] as Float32Array[];
    scores.push(cosine(va[rand(va.length)] as Float32Array, vb[rand(vb.length)] as Float32Array));
  }
  const thresholds: Record<string, number> = {};
  for (const fmr of [1e-2, 1e-3, 1e-4]) {
    if (scores.length * fmr >= 10)
      thresholds[`fmr_${fmr.toExponential(0).replace("e-", "e-")}`] = Number(thresholdAtFmr(scores, fmr).toFixed(4));
  }
  const tail = subjectTail(usable);
  return {
    model: engine.embedder.id,
    people: usable.length,
    images: vectors.size,
    impostor_pairs: scores.length,
    subject_comparisons: tail.comparisons,
    thresholds: { ...thresholds, ...tail.thresholds },
  };
}
