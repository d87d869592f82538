import type { AuditTrail } from "@facerec/audit";
import type { NewReviewItem, ReviewStore } from "@facerec/gallery";
import { type Atomic, direct } from "./atomic.js";

/** Which faces the review queue keeps (unknown ones, and close-call matches), and for how long. */
export interface ReviewPolicy {
  /** `all` cameras, the listed ones, or none (off): the queue is opt-in. @default none */
  cameras: "all" | readonly string[];
  /** Faces older than this are purged (and the purge audited). @default 30 days */
  retentionDays: number;
  /**
   * A match that clears its threshold, or leads the runner-up, by less than this (in score minus
   * threshold) is kept for review too; 0 keeps no match. @default {@link DEFAULT_LOW_MARGIN}
   */
  lowMargin: number;
}

/**
 * Close calls worth an operator's look. On LFW (`facerec eval identify --enroll 3`, adaptive rule at
 * FPIR 1%) a margin of 0.05 kept 53 of the 67 wrong matches and 46 of the 4,852 right ones (0.9%);
 * 0.02 kept 31 wrong and 17 right, 0.10 kept 57 wrong but 117 right.
 */
export const DEFAULT_LOW_MARGIN = 0.05;

/**
 * FACEREC_REVIEW: `all`, a comma-separated list of cameras (`api` is the API's own identifications),
 * or unset/`off`; FACEREC_REVIEW_RETENTION_DAYS (30); FACEREC_REVIEW_LOW_MARGIN (0.05).
 */
export function reviewPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): ReviewPolicy {
  const raw = (env.FACEREC_REVIEW ?? "").trim();
  const days = Number(env.FACEREC_REVIEW_RETENTION_DAYS ?? 30);
  if (!Number.isFinite(days) || days <= 0) {
    throw new RangeError(`FACEREC_REVIEW_RETENTION_DAYS=${env.FACEREC_REVIEW_RETENTION_DAYS} is not a positive number of days`);
  }
  const lowMargin = Number(env.FACEREC_REVIEW_LOW_MARGIN ?? DEFAULT_LOW_MARGIN);
  if (!Number.isFinite(lowMargin) || lowMargin < 0 || lowMargin > 1) {
    throw new RangeError(`FACEREC_REVIEW_LOW_MARGIN=${env.FACEREC_REVIEW_LOW_MARGIN} is not a score margin from 0 to 1`);
  }
  const cameras = raw === "all" ? "all" : raw === "" || raw === "off" ? [] : raw.split(",").map((c) => c.trim());
  return { cameras, retentionDays: days, lowMargin };
}

export function reviews(policy: ReviewPolicy, camera: string): boolean {
  return policy.cameras === "all" || policy.cameras.includes(camera);
}

/** A decision as both the API and the matcher see it: its outcome, the subject it named, its candidates. */
export interface ReviewedDecision {
  outcome: string;
  subjectId?: string;
  candidates: readonly { subjectId: string; score: number; threshold: number }[];
}

/**
 * Whether the queue keeps a decision: every unknown face from a reviewed camera, and a match that
 * cleared its threshold or the runner-up by less than the policy's low margin.
 */
export function keptForReview(policy: ReviewPolicy, camera: string, d: ReviewedDecision): NewReviewItem["outcome"] | undefined {
  if (!reviews(policy, camera)) return undefined;
  if (d.outcome === "unknown") return "unknown";
  if (d.outcome !== "match" || policy.lowMargin <= 0) return undefined;
  const leads = d.candidates.map((c) => c.score - c.threshold).sort((a, b) => b - a);
  const lead = leads[0] ?? Number.NEGATIVE_INFINITY;
  const runnerUp = leads[1] ?? Number.NEGATIVE_INFINITY;
  return lead < policy.lowMargin || lead - runnerUp < policy.lowMargin ? "match" : undefined;
}

/** Queue a decision's face when the policy keeps it; `face` carries what the store keeps. */
export async function queueForReview(
  store: ReviewStore,
  policy: ReviewPolicy,
  d: ReviewedDecision,
  face: Omit<NewReviewItem, "outcome" | "subjectId" | "candidates">,
): Promise<void> {
  const outcome = keptForReview(policy, face.camera, d);
  if (!outcome) return;
  await store.add({
    ...face,
    outcome,
    candidates: [...d.candidates],
    ...(outcome === "match" && d.subjectId ? { subjectId: d.subjectId } : {}),
  });
}

/**
 * Purge the faces seen more than the retention period before `now`; each tenant's purge is audited with
 * its count. One transaction (`atomic`): with local files the first tenant's entry commits the purge,
 * and a crash before the other tenants' entries are written leaves those entries out, not the faces in.
 */
export async function purgeReview(
  store: ReviewStore,
  audit: AuditTrail,
  policy: ReviewPolicy,
  now: number = Date.now(),
  atomic: Atomic = direct,
): Promise<Map<string, number>> {
  const before = new Date(now - policy.retentionDays * 86_400_000).toISOString();
  return atomic(async () => {
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
  });
}
