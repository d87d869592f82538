import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import type { ResolvedModel } from "./model-pack.js";
import { modelCacheDir } from "./paths.js";
import { createSession, ort, type SessionOptions } from "./session.js";

export type GraphLevel = NonNullable<SessionOptions["graphOptimization"]>;

/**
 * The levels the embedder is measured at on first load. On an AVX-512 machine here `all` ran the
 * embedder 3x slower than `extended` on one thread, and 16% faster on two (207 against 178 faces/s,
 * batch 8); on an AVX2 machine `all` was 15-40% faster. `basic` never beat `extended`.
 */
export const TUNED_LEVELS: readonly GraphLevel[] = ["extended", "all"];

/** How long each level is timed, after two warm-up runs. @default 600 ms (a choice in about 2 s) */
const MEASURE_MS = 600;

export interface Tuning {
  /** The level the embedder runs at. */
  graphOptimization: GraphLevel;
  /** Faces a second each level reached at the embedder's batch, when measured. */
  facesPerSecond: Partial<Record<GraphLevel, number>>;
  /** Measured in this process, or read from the cache of an earlier measurement on this machine. */
  source: "measured" | "cache";
}

/** Where choices are kept (beside the model cache): one per CPU model, core count, model file, threads and batch. */
export function defaultTuningFile(): string {
  return join(dirname(modelCacheDir()), "tuning.json");
}

function tuningKey(model: ResolvedModel, options: SessionOptions, batch: number): string {
  const cpu = cpus()[0]?.model ?? "unknown";
  const file = statSync(model.path);
  return createHash("sha256")
    .update(JSON.stringify([cpu, cpus().length, model.id, file.size, options.intraOpThreads, batch, ort.env.versions]))
    .digest("hex")
    .slice(0, 24);
}

function readCache(file: string): Record<string, Tuning> {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, Tuning>;
  } catch {
    return {};
  }
}

async function facesPerSecond(session: ort.InferenceSession, model: ResolvedModel, batch: number): Promise<number> {
  const { width, height } = model.input;
  const input = new ort.Tensor("float32", new Float32Array(batch * 3 * width * height).fill(0.5), [batch, 3, height, width]);
  const feeds = { [session.inputNames[0] as string]: input };
  for (let i = 0; i < 2; i++) await session.run(feeds);
  const started = performance.now();
  let faces = 0;
  while (performance.now() - started < MEASURE_MS) {
    await session.run(feeds);
    faces += batch;
  }
  return (faces * 1000) / (performance.now() - started);
}

/**
 * The embedder's session at the graph optimisation level that is fastest on this machine: read from
 * the cache when this CPU, model, thread count and batch were measured before, else measured now
 * (each level for MEASURE_MS at the embedder's batch) and cached. The level is a speed choice only:
 * every level computes the same embeddings, up to float rounding.
 */
export async function tunedEmbedderSession(
  model: ResolvedModel,
  options: SessionOptions,
  batch: number,
  file = defaultTuningFile(),
): Promise<{ session: ort.InferenceSession; tuning: Tuning }> {
  const key = tuningKey(model, options, batch);
  const cached = readCache(file)[key];
  if (cached && TUNED_LEVELS.includes(cached.graphOptimization)) {
    const session = await createSession(model.path, { ...options, graphOptimization: cached.graphOptimization });
    return { session, tuning: { ...cached, source: "cache" } };
  }
  let best: { level: GraphLevel; session: ort.InferenceSession; rate: number } | undefined;
  const rates: Partial<Record<GraphLevel, number>> = {};
  for (const level of TUNED_LEVELS) {
    const session = await createSession(model.path, { ...options, graphOptimization: level });
    const rate = await facesPerSecond(session, model, batch);
    rates[level] = Number(rate.toFixed(1));
    if (!best || rate > best.rate) {
      await best?.session.release();
      best = { level, session, rate };
    } else {
      await session.release();
    }
  }
  const chosen = best as NonNullable<typeof best>;
  const tuning: Tuning = { graphOptimization: chosen.level, facesPerSecond: rates, source: "measured" };
  try {
    // Written aside and renamed in, so that processes measuring at once never leave half a file.
    mkdirSync(dirname(file), { recursive: true });
    const next = `${file}.${process.pid}.tmp`;
    writeFileSync(next, JSON.stringify({ ...readCache(file), [key]: tuning }, null, 1));
    renameSync(next, file);
  } catch {
    // A read-only home only costs the measurement again at the next start.
  }
  return { session: chosen.session, tuning };
}
