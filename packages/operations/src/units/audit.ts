import { PAGE as AUDIT_PAGE, type AuditPage, type AuditQuery, type AuditVerification } from "@facerec/audit";
import type { OperationContext } from "../context.js";
import { BadRequestError } from "../errors.js";

/** The tenant's audit trail and its view of the system. */
export function auditOperations(ctx: OperationContext) {
  const { gallery } = ctx;
  return {
    /** The caller's tenant's audit entries: its API calls, camera decisions and jobs, from every replica. */
    queryAudit: ctx.operation("queryAudit", async (call, q: Omit<AuditQuery, "tenant">): Promise<AuditPage> => {
      if (q.pageToken !== undefined && !/^[0-9]{1,20}$/.test(q.pageToken)) {
        throw new BadRequestError("pageToken is the nextPageToken of a previous page");
      }
      if (q.pageSize !== undefined && !(Number.isInteger(q.pageSize) && q.pageSize >= 1 && q.pageSize <= AUDIT_PAGE.max)) {
        throw new BadRequestError(`pageSize is 1-${AUDIT_PAGE.max}`);
      }
      for (const [name, value] of [
        ["operation", q.operation],
        ["subjectId", q.subjectId],
        ["decision", q.decision],
      ] as const) {
        if (value !== undefined && value.length > 100) throw new BadRequestError(`${name} is at most 100 characters`);
      }
      return ctx.audit.query({ ...q, tenant: call.tenant });
    }),

    /** Recompute the caller's tenant's hash chain. */
    verifyAudit: ctx.operation("verifyAudit", async (call): Promise<AuditVerification> => ctx.audit.verify(call.tenant)),

    /**
     * The tenant's view of the system: its gallery, review queue and webhooks, the models, whether
     * decisions can be audited now, and its jobs by state (with Redis).
     */
    getStatus: ctx.operation("getStatus", async (call) => {
      const subjects = gallery.listSubjects(call.tenant);
      const { review, webhooks, jobs } = ctx.options;
      const [health, clusters, hooks, counts, keys, policy] = await Promise.all([
        ctx.auditHealth(),
        review ? review.store.clusters(call.tenant, 1, 0) : Promise.resolve({ total: 0 }),
        webhooks ? webhooks.store.list(call.tenant) : Promise.resolve([]),
        jobs ? jobs.queue.countsFor(call.tenant) : Promise.resolve({}),
        ctx.keys.list(call.tenant),
        ctx.options.privacy?.policies.current(call.tenant),
      ]);
      // The deployment's per-camera rules for this tenant's cameras only (those its live keys are
      // bound to): another tenant's camera names are not this one's business.
      const mine = new Set(keys.filter((k) => !k.revokedAt).flatMap((k) => k.cameras ?? []));
      const cameras = Object.fromEntries(Object.entries(ctx.liveness.cameras).filter(([camera]) => mine.has(camera)));
      const tenantLiveness = policy?.policy.liveness ?? null;
      const { notifier } = ctx.options;
      return {
        subjects: subjects.length,
        templates: subjects.reduce((n, s) => n + gallery.templatesOf(call.tenant, s.id).length, 0),
        reviewClusters: clusters.total,
        webhooks: hooks.length,
        models: [ctx.modelId],
        auditWritable: health.writable,
        jobs: counts as Record<string, number>,
        liveness: {
          policy: tenantLiveness ?? ctx.liveness.policy,
          source: tenantLiveness ? "tenant" : "deployment",
          cameras,
        },
        mqtt: notifier
          ? { configured: true, connected: notifier.connected, published: notifier.published, dropped: notifier.dropped }
          : { configured: false, connected: false, published: 0, dropped: 0 },
      };
    }),
  };
}
