/** Real face embeddings for the benchmarks, and deterministic perturbed copies of them. */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { EmbeddingCache, embedFiles } from "@facerec/cli";
import { gaussianNoise } from "@facerec/testkit/noise";
import { shared } from "@facerec/testkit/paths";

export { gaussianNoise as noiseSource };

import { l2normalise, leadingDirections } from "@facerec/common";
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

/** The leading principal directions of vectors' covariance (subspace iteration), with their variances. */
function principal(
  vectors: readonly Float32Array[],
  mean: Float64Array,
  k: number,
): { directions: Float64Array[]; variances: number[]; total: number } {
  const d = mean.length;
  const cov = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (const v of vectors) {
    for (let i = 0; i < d; i++) centred[i] = (v[i] as number) - (mean[i] as number);
    for (let i = 0; i < d; i++) {
      const ci = centred[i] as number;
      for (let j = i; j < d; j++) cov[i * d + j] = (cov[i * d + j] as number) + ci * (centred[j] as number);
    }
  }
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) cov[j * d + i] = cov[i * d + j] = (cov[i * d + j] as number) / vectors.length;
  let total = 0;
  for (let i = 0; i < d; i++) total += cov[i * d + i] as number;
  // The leading directions, iterated 30 times from Gaussian starting vectors.
  const q = leadingDirections(cov, d, k, { iterations: 30, oversample: 0, start: gaussianNoise(11) });
  const times = (v: Float64Array): Float64Array => {
    const out = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (cov[i * d + j] as number) * (v[j] as number);
      out[i] = s;
    }
    return out;
  };
  const variances = q.map((v) => times(v).reduce((s, x, i) => s + x * (v[i] as number), 0));
  return { directions: q, variances, total };
}

/**
 * Distinct synthetic identities that look like people to a face matcher: draws from a Gaussian fitted
 * to real embeddings of distinct people (their mean, the `components` leading principal directions with
 * their variances, and an isotropic remainder carrying the rest of the variance), each normalised.
 * Unlike perturbed copies of a few thousand faces, no two are near-copies. They are a little more
 * spread than real people: a real stranger's nearest among 3,000 of them scored 0.331 on average,
 * against 0.373 among 3,000 real people (64 components: 0.308; 256: 0.332), so a search among them is
 * somewhat easier than among real people (the benchmark prints both figures).
 */
export function identitySampler(people: readonly Float32Array[], components = 128, seed = 7): () => Float32Array {
  const d = (people[0] as Float32Array).length;
  const mean = new Float64Array(d);
  for (const v of people) for (let i = 0; i < d; i++) mean[i] = (mean[i] as number) + (v[i] as number) / people.length;
  const { directions, variances, total } = principal(people, mean, components);
  const remainder = Math.sqrt(Math.max(0, total - variances.reduce((s, v) => s + v, 0)) / (d - components));
  const scales = variances.map((v) => Math.sqrt(Math.max(0, v)));
  const gauss = gaussianNoise(seed);
  return () => {
    const x = new Float32Array(d);
    for (let i = 0; i < d; i++) x[i] = (mean[i] as number) + remainder * gauss();
    for (const [c, dir] of directions.entries()) {
      const z = (scales[c] as number) * gauss();
      for (let i = 0; i < d; i++) x[i] = (x[i] as number) + z * (dir[i] as number);
    }
    return l2normalise(x);
  };
}
