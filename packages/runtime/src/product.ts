import { join } from "node:path";
import { DEFAULT_POLICY, DEFAULT_THRESHOLD_OPTIONS, Gallery, QdrantIndex } from "@facerec/gallery";
import type { FaceEngine } from "@facerec/vision";

/**
 * The gallery as the product runs it, for every process that opens one: in `dir`, with the embedder's
 * calibrated FMR 1e-3 threshold as the global one, the liveness gate at the pack's APCER-5% threshold,
 * and the vectors in Qdrant when `qdrantUrl` (default QDRANT_URL) is given, else the embedded index.
 * Aligned crops are kept only when `retainCrops` (default FACEREC_RETAIN_CROPS=1) is set: needed to
 * re-embed after a model change, off by default as data minimisation asks.
 */
export async function openProductGallery(
  dir: string,
  engine: FaceEngine,
  options: { qdrantUrl?: string; retainCrops?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<Gallery> {
  // A deployment may override the calibrated values (FACEREC_GLOBAL_THRESHOLD, FACEREC_MIN_QUALITY,
  // FACEREC_MIN_LIVENESS); unset or empty keeps the pack's.
  const env = options.env ?? process.env;
  const qdrantUrl = options.qdrantUrl ?? env.QDRANT_URL;
  const override = (name: string): number | undefined => {
    const raw = env[name];
    if (!raw) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < -1 || value > 1) throw new RangeError(`${name}=${raw} is not a number in [-1, 1]`);
    return value;
  };
  const global = override("FACEREC_GLOBAL_THRESHOLD") ?? engine.embedder.model.thresholds?.["fmr_1e-3"];
  if (global === undefined) {
    throw new Error(`the embedder ${engine.embedder.id} has no calibrated fmr_1e-3 threshold in its manifest`);
  }
  const minLiveness =
    override("FACEREC_MIN_LIVENESS") ?? engine.liveness?.model.thresholds?.["apcer_5e-2"] ?? DEFAULT_POLICY.minLiveness;
  const minQuality = override("FACEREC_MIN_QUALITY") ?? DEFAULT_POLICY.minQuality;
  return Gallery.open({
    dir: join(dir, "gallery"),
    dims: engine.embedder.dims,
    thresholds: { ...DEFAULT_THRESHOLD_OPTIONS, global },
    policy: { minLiveness, minQuality },
    retainCrops: options.retainCrops ?? env.FACEREC_RETAIN_CROPS === "1",
    ...(qdrantUrl ? { index: new QdrantIndex({ url: qdrantUrl, dims: engine.embedder.dims }) } : {}),
  });
}
