import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type ClusterOptions, clusterQuality, FaceClusters } from "@facerec/gallery";
import type { FaceEngine } from "@facerec/vision";
import { embedFiles } from "../embed-files.js";
import type { EmbeddingCache } from "../embedding-cache.js";

export interface ClusterEvalOptions {
  root: string;
  /** People with at least this many images take part. */
  minImages: number;
  /** The settings reported; `sweep` adds rows for other join thresholds. */
  settings: ClusterOptions;
  sweep: boolean;
  concurrency: number;
  cache?: EmbeddingCache;
}

export interface ClusterRow extends ClusterOptions {
  clusters: number;
  pairwisePrecision: number;
  pairwiseRecall: number;
  purity: number;
  completeness: number;
  /** Faces alone in their cluster. */
  singletons: number;
}

export interface ClusterReport {
  people: number;
  faces: number;
  failures: number;
  order: string;
  result: ClusterRow;
  sweep: ClusterRow[];
  seconds: number;
}

const IMAGE = /\.(jpe?g|png|webp|gif|pgm)$/i;

/** A fixed pseudo-random order (a linear congruential generator): faces arrive mixed, the same way each run. */
function shuffled<T>(items: readonly T[], seed = 20261202): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function run(faces: { path: string; vector: Float32Array }[], truth: Map<string, string>, settings: ClusterOptions): ClusterRow {
  const clusters = new FaceClusters(settings);
  const assignment = new Map<string, string>();
  for (const { path, vector } of faces) {
    const placed = clusters.add(path, vector);
    assignment.set(path, placed.cluster);
  }
  // Merges moved members; read the final clusters rather than the placements.
  for (const c of clusters.all()) for (const m of c.members) assignment.set(m, c.id);
  return {
    ...settings,
    clusters: clusters.size,
    singletons: clusters.all().filter((c) => c.members.length === 1).length,
    ...clusterQuality(assignment, truth),
  };
}

/**
 * Cluster the faces of every person with at least `minImages` images of a folder-per-person dataset,
 * arriving one by one in a fixed mixed order as the review queue receives them, and score the clusters
 * against who each face really is.
 */
export async function evalCluster(engine: FaceEngine, options: ClusterEvalOptions): Promise<ClusterReport> {
  const started = Date.now();
  const truth = new Map<string, string>();
  for (const person of readdirSync(options.root).sort()) {
    const dir = join(options.root, person);
    if (!statSync(dir).isDirectory()) continue;
    const images = readdirSync(dir).filter((f) => IMAGE.test(f));
    if (images.length < options.minImages) continue;
    for (const f of images) truth.set(join(dir, f), person);
  }
  const vectors = await embedFiles(engine, [...truth.keys()], options.concurrency, options.cache);
  const faces = shuffled([...vectors].map(([path, vector]) => ({ path, vector })));
  const seen = new Map([...truth].filter(([path]) => vectors.has(path)));
  const sweep = options.sweep
    ? [0.3, 0.35, 0.4, 0.45, 0.5].map((join) => run(faces, seen, { join, merge: Math.max(join, options.settings.merge) }))
    : [];
  return {
    people: new Set(seen.values()).size,
    faces: faces.length,
    failures: truth.size - vectors.size,
    order: "mixed, fixed seed 20261202",
    result: run(faces, seen, options.settings),
    sweep,
    seconds: (Date.now() - started) / 1000,
  };
}

export function formatCluster(r: ClusterReport): string {
  const pct = (v: number): string => `${(100 * v).toFixed(2)}%`.padStart(8);
  const row = (x: ClusterRow): string =>
    `${x.join.toFixed(2).padStart(5)} ${x.merge.toFixed(2).padStart(5)} ${String(x.clusters).padStart(8)} ${String(x.singletons).padStart(10)} ${pct(x.pairwisePrecision)}  ${pct(x.pairwiseRecall)} ${pct(x.purity)}     ${pct(x.completeness)}`;
  return [
    `Clustering ${r.faces} faces of ${r.people} people (${r.failures} images without a face), arriving ${r.order}`,
    "algorithm: incremental leader clustering on centroids with merging (packages/gallery/src/clustering.ts)",
    " join merge clusters singletons  precision    recall   purity  completeness",
    row(r.result),
    ...(r.sweep.length ? ["sweep of the join threshold:", ...r.sweep.map(row)] : []),
  ].join("\n");
}
