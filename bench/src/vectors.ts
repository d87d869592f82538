/** Real face embeddings for the benchmarks, and deterministic perturbed copies of them. */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { EmbeddingCache, embedFiles } from "@facerec/cli";
import { shared } from "@facerec/testkit/paths";

export { gaussianNoise as noiseSource } from "@facerec/testkit/noise";

import { l2normalise } from "@facerec/common";
import { FaceEngine } from "@facerec/vision";

/** Embeddings of image files by path (a file without a face is left out), cached per pipeline. */
async function embedCached(files: readonly string[]): Promise<Map<string, Float32Array>> {
  const engine = await FaceEngine.create({ liveness: "none" });
  const cache = new EmbeddingCache(EmbeddingCache.defaultDir(), engine.pipelineKey);
  const vectors = await embedFiles(engine, files, 2, cache);
  cache.close();
  return vectors;
}

/** Embeddings of the first `limit` LFW images. */
export async function lfwEmbeddings(limit: number): Promise<Float32Array[]> {
  const root = shared("data", "lfw", "lfw-deepfunneled");
  const files = readdirSync(root)
    .sort()
    .flatMap((p) => readdirSync(join(root, p)).map((f) => join(root, p, f)))
    .slice(0, limit);
  return [...(await embedCached(files)).values()];
}

/** Embeddings of the first photo of each of the first `limit` LFW people: that many distinct people. */
export async function lfwPeople(limit: number): Promise<Float32Array[]> {
  const root = shared("data", "lfw", "lfw-deepfunneled");
  const files = readdirSync(root)
    .sort()
    .slice(0, limit)
    .map((p) => join(root, p, readdirSync(join(root, p)).sort()[0] as string));
  return [...(await embedCached(files)).values()];
}

/**
 * Two photos each of the last `limit` LFW people (by name) with two or more: the first to enrol, the
 * second to search with. They are at the other end of the alphabet from lfwEmbeddings' people.
 */
export async function lfwMates(limit: number): Promise<{ enrolled: Float32Array; probe: Float32Array }[]> {
  const root = shared("data", "lfw", "lfw-deepfunneled");
  const pairs = readdirSync(root)
    .sort()
    .map((p) =>
      readdirSync(join(root, p))
        .sort()
        .slice(0, 2)
        .map((f) => join(root, p, f)),
    )
    .filter((files) => files.length === 2)
    .slice(-limit);
  const vectors = await embedCached(pairs.flat());
  return pairs.flatMap(([a = "", b = ""]) => {
    const enrolled = vectors.get(a);
    const probe = vectors.get(b);
    return enrolled && probe ? [{ enrolled, probe }] : [];
  });
}

/** A copy of a real embedding moved by noise of about `sigma` cosine distance, renormalised. */
export function perturb(v: Float32Array, sigma: number, gauss: () => number): Float32Array {
  const scale = sigma / Math.sqrt(v.length);
  return l2normalise(v.map((x) => x + scale * gauss()));
}
