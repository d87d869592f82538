import type { AuditTrail } from "@facerec/audit";
import type { ReviewStore } from "@facerec/gallery";

/** Which unknown faces the review queue keeps, and for how long. */
export interface ReviewPolicy {
  /** `all` cameras, the listed ones, or none (off): the queue is opt-in. @default none */
  cameras: "all" | readonly string[];
  /** Faces older than this are purged (and the purge audited). @default 30 days */
  retentionDays: number;
}

/** How often the purge runs: expiry is in days, so an hour late is within the promise. */
export const REVIEW_PURGE_EVERY_MS = 3600_000;

/**
 * FACEREC_REVIEW: `all`, a comma-separated list of cameras (`api` is the API's own identifications),
 * or unset/`off`; FACEREC_REVIEW_RETENTION_DAYS (30).
 */
export function reviewPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): ReviewPolicy {
  const raw = (env.FACEREC_REVIEW ?? "").trim();
  const days = Number(env.FACEREC_REVIEW_RETENTION_DAYS ?? 30);
  if (!Number.isFinite(days) || days <= 0) {
    throw new RangeError(`FACEREC_REVIEW_RETENTION_DAYS=${env.FACEREC_REVIEW_RETENTION_DAYS} is not a positive number of days`);
  }
  const cameras = raw === "all" ? "all" : raw === "" || raw === "off" ? [] : raw.split(",").map((c) => c.trim());
  return { cameras, retentionDays: days };
}

export function reviews(policy: ReviewPolicy, camera: string): boolean {
  return policy.cameras === "all" || policy.cameras.includes(camera);
}

/** Purge the faces seen more than the retention period before `now`; each tenant's purge is audited with its count. */
export async function purgeReview(
  store: ReviewStore,
  audit: AuditTrail,
  policy: ReviewPolicy,
  now: number = Date.now(),
): Promise<Map<string, number>> {
  const before = new Date(now - policy.retentionDays * 86_400_000).toISOString();
  const counts = await store.purge(before);
  for (const [tenant, count] of counts) {
    await audit.append({
      tenant,
      keyId: "system",
      operation: "review-purge",
      decision: `purged ${count} before ${before}`,
      requestId: `review-purge:${before}`,
    });
  }
  return counts;
}

/** Run purgeReview now and every REVIEW_PURGE_EVERY_MS until stopped. */
export function scheduleReviewPurge(
  store: ReviewStore,
  audit: AuditTrail,
  policy: ReviewPolicy,
  onError: (error: unknown) => void,
): { stop: () => void } {
  const run = () => purgeReview(store, audit, policy).catch(onError);
  const timer = setInterval(run, REVIEW_PURGE_EVERY_MS);
  timer.unref();
  void run();
  return { stop: () => clearInterval(timer) };
}
