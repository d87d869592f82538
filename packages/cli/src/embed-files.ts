import type { FaceEngine, Image } from "@facerec/vision";
import type { EmbeddingCache } from "./embedding-cache.js";
import { centralFace, loadImage } from "./engine-options.js";
import { mapConcurrent, Progress } from "./progress.js";

/**
 * Embed the central face of every image file (batched eight at a time), reusing cached results.
 * Files where no face is found are absent from the result: failures to detect.
 */
export async function embedFiles(
  engine: FaceEngine,
  paths: readonly string[],
  concurrency: number,
  cache?: EmbeddingCache,
): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  const todo: string[] = [];
  for (const path of paths) {
    const hit = cache?.get(path);
    if (hit === undefined) todo.push(path);
    else if (hit) out.set(path, hit);
  }
  const batches: string[][] = [];
  for (let i = 0; i < todo.length; i += engine.embedder.maxBatch) batches.push(todo.slice(i, i + engine.embedder.maxBatch));
  const progress = new Progress("embed", todo.length);
  await mapConcurrent(batches, concurrency, async (batch) => {
    const crops = await Promise.all(
      batch.map(async (path) => {
        const img = await loadImage(path);
        return centralFace(await engine.analyse(img, { embed: false }), img)?.aligned;
      }),
    );
    const found = batch.flatMap((path, i) => (crops[i] ? [{ path, crop: crops[i] as Image }] : []));
    const vectors = found.length
      ? await engine.embedder.embed(
          found.map((f) => f.crop),
          { flip: engine.flip },
        )
      : [];
    const results = batch.map((path) => {
      const k = found.findIndex((f) => f.path === path);
      const vector = k >= 0 ? (vectors[k] as Float32Array) : null;
      if (vector) out.set(path, vector);
      return { path, vector };
    });
    cache?.set(results);
    progress.tick(batch.length);
  });
  return out;
}
