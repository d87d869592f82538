/** Real face embeddings for the benchmarks, and deterministic perturbed copies of them. */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { EmbeddingCache, embedFiles } from "@facerec/cli";
import { shared } from "@facerec/testkit/paths";

export { gaussianNoise as noiseSource } from "@facerec/testkit/noise";

import { FaceEngine, l2normalise } from "@facerec/vision";

/** Embeddings of image files, cached per pipeline (so later runs do not embed again). */
async function embedCached(files: readonly string[]): Promise<Float32Array[]> {
  const engine = await FaceEngine.create({ liveness: "none" });
  const cache = new EmbeddingCache(EmbeddingCache.defaultDir(), engine.pipelineKey);
  const vectors = await embedFiles(engine, files, 2, cache);
  cache.close();
  return [...vectors.values()];
}

/** Embeddings of the first `limit` LFW images. */
export async function lfwEmbeddings(limit: number): Promise<Float32Array[]> {
  const root = shared("data", "lfw", "lfw-deepfunneled");
  const files = readdirSync(root)
    .sort()
    .flatMap((p) => readdirSync(join(root, p)).map((f) => join(root, p, f)))
    .slice(0, limit);
  return embedCached(files);
}

/** Embeddings of the first photo of each of the first `limit` LFW people: that many distinct people. */
export async function lfwPeople(limit: number): Promise<Float32Array[]> {
  const root = shared("data", "lfw", "lfw-deepfunneled");
  const files = readdirSync(root)
    .sort()
    .slice(0, limit)
    .map((p) => join(root, p, readdirSync(join(root, p)).sort()[0] as string));
  return embedCached(files);
}

/** A copy of a real embedding moved by noise of about `sigma` cosine distance, renormalised. */
export function perturb(v: Float32Array, sigma: number, gauss: () => number): Float32Array {
  const scale = sigma / Math.sqrt(v.length);
  return l2normalise(v.map((x) => x + scale * gauss()));
}
