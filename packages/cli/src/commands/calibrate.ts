import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cosine } from "@facerec/common";
import { thresholdAtFmr } from "@facerec/gallery";
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
  thresholds: Record<string, number>;
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
  return { model: engine.embedder.id, people: usable.length, images: vectors.size, impostor_pairs: scores.length, thresholds };
}
