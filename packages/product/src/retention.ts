import type { AuditTrail } from "@facerec/audit";
import { type Gallery, NotFoundError, type ReviewStore } from "@facerec/gallery";
import { type PersonalDataRegistry, type PolicyStore, receiptText, type TenantPolicy } from "@facerec/privacy";
import { type Atomic, direct } from "./atomic.js";
import { purgeReview, type ReviewPolicy } from "./review.js";

/** How often the retention job runs: expiry is in days, so an hour late is within the promise. */
export const RETENTION_EVERY_MS = 3600_000;

/**
 * The tenants whose policy sets a period in `days` (a retention field), each with the time its
 * period cuts at and the policy's version.
 */
async function cutoffs(
  policies: PolicyStore,
  days: (policy: TenantPolicy) => number | null,
  now: number,
): Promise<{ tenant: string; before: string; version: number; days: number }[]> {
  return (await policies.all()).flatMap(({ tenant, policy, version }) => {
    const d = days(policy);
    return d === null ? [] : [{ tenant, version, days: d, before: new Date(now - d * 86_400_000).toISOString() }];
  });
}

/**
 * Erase the subjects whose newest template (or, without templates, whose creation) is older than their
 * tenant's `retention.templatesDays`: every personal-data store forgets them as on erasure. Each erasure is
 * audited under the subject, and each tenant's run with its count. Another replica erasing the same
 * subject a moment before is not an error: only what this run erased counts.
 */
export async function purgeExpiredSubjects(
  policies: PolicyStore,
  gallery: Gallery,
  personalData: PersonalDataRegistry,
  audit: AuditTrail,
  now: number = Date.now(),
  atomic: Atomic = direct,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  await gallery.sync();
  for (const { tenant, before, version } of await cutoffs(policies, (p) => p.retention.templatesDays, now)) {
    let erased = 0;
    for (const subject of gallery.listSubjects(tenant)) {
      const times = gallery.templatesOf(tenant, subject.id).map((t) => t.createdAt);
      const newest = times.sort().at(-1) ?? subject.createdAt;
      if (newest >= before) continue;
      try {
        await atomic(async () => {
          const receipt = await personalData.erase(tenant, subject);
          await audit.append({
            tenant,
            keyId: "system",
            operation: "retention-erase",
            decision: `${receiptText(receipt)}; newest template ${newest}, policy version ${version}`,
            subjectId: subject.id,
            requestId: `retention:${before}:${subject.id}`,
          });
        });
        erased++;
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    if (erased) {
      counts.set(tenant, erased);
      await audit.append({
        tenant,
        keyId: "system",
        operation: "retention-purge",
        decision: `erased ${erased} subjects enrolled last before ${before}`,
        requestId: `retention:${before}`,
      });
    }
  }
  return counts;
}

/**
 * Purge the review-queue faces of tenants whose policy keeps them for less than the deployment does
 * (`retention.reviewDays`; FACEREC_REVIEW_RETENTION_DAYS stays the longest), each purge audited.
 */
export async function purgeTenantReviews(
  policies: PolicyStore,
  store: ReviewStore,
  audit: AuditTrail,
  deployment: ReviewPolicy,
  now: number = Date.now(),
  atomic: Atomic = direct,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { tenant, before, version, days } of await cutoffs(policies, (p) => p.retention.reviewDays, now)) {
    if (days >= deployment.retentionDays) continue;
    await atomic(async () => {
      const purged = (await store.purge(before, tenant)).get(tenant);
      if (!purged) return;
      counts.set(tenant, purged);
      await audit.append({
        tenant,
        keyId: "system",
        operation: "review-purge",
        decision: `purged ${purged} before ${before} (policy version ${version})`,
        requestId: `review-purge:${tenant}:${before}`,
      });
    });
  }
  return counts;
}

/**
 * Prune each tenant's audit entries older than its `retention.auditDays` behind a checkpoint, and say
 * so in the chain: the entry recording the prune names the checkpoint's sequence and hash, so the
 * chain itself anchors what was removed. Counts per tenant.
 */
export async function pruneAudit(
  policies: PolicyStore,
  audit: AuditTrail,
  now: number = Date.now(),
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { tenant, before, version } of await cutoffs(policies, (p) => p.retention.auditDays, now)) {
    const pruned = await audit.prune(tenant, before);
    if (!pruned) continue;
    const { checkpoint, removed } = pruned;
    counts.set(tenant, removed);
    await audit.append({
      tenant,
      keyId: "system",
      operation: "audit-prune",
      decision: `pruned ${removed} entries before ${before} (policy version ${version}); checkpoint ${checkpoint.sequence} ${checkpoint.hash}`,
      requestId: `audit-prune:${before}`,
    });
  }
  return counts;
}

/**
 * Run the retention jobs now and every RETENTION_EVERY_MS until stopped: review-queue faces past the
 * deployment's retention, subjects and audit entries past their tenant's.
 */
export function scheduleRetention(
  state: { review: ReviewStore; policies: PolicyStore; gallery: Gallery; personalData: PersonalDataRegistry; atomic: Atomic },
  audit: AuditTrail,
  review: ReviewPolicy,
  onError: (error: unknown) => void,
): { stop: () => void } {
  const run = async () => {
    const now = Date.now();
    await purgeReview(state.review, audit, review, now, state.atomic).catch(onError);
    await purgeTenantReviews(state.policies, state.review, audit, review, now, state.atomic).catch(onError);
    await purgeExpiredSubjects(state.policies, state.gallery, state.personalData, audit, now, state.atomic).catch(onError);
    await pruneAudit(state.policies, audit).catch(onError);
  };
  const timer = setInterval(run, RETENTION_EVERY_MS);
  timer.unref();
  void run();
  return { stop: () => clearInterval(timer) };
}
