import { PAGE as AUDIT_PAGE, type AuditEntry } from "@facerec/audit";
import { DEFAULT_TARGET, type Subject } from "@facerec/gallery";
import {
  buildNotice,
  checkPolicy,
  fmrRate,
  type PersonalDataRegistry,
  PolicyError,
  type PolicyVersion,
  readEvidence,
  type StoreExport,
  type TransparencyNotice,
  targetRate,
} from "@facerec/privacy";
import type { OperationContext } from "../context.js";
import { BadRequestError } from "../errors.js";

/** Everything the product holds about one subject, for a subject-access request. */
export interface SubjectExport {
  generatedAt: string;
  subject: Subject;
  /** The templates' metadata; each is an embedding of `dims` floats, not included (see `held`). */
  templates: { id: string; model: string; quality: number; createdAt: string; cropRetained: boolean }[];
  /** Faces marked "not this subject" by corrective feedback (their embeddings, not included). */
  negatives: { id: string; model: string; createdAt: string }[];
  /** What every registered personal-data store holds about the subject (the review queue's faces, open challenges...). */
  stores: StoreExport[];
  /** The audit trail's entries about the subject (enrolments, decisions that named it), oldest first. */
  decisions: AuditEntry[];
  /** True when there were more than EXPORT_DECISIONS entries; the rest are in the audit API. */
  decisionsTruncated: boolean;
  /** What is held and in what form, in words. */
  held: string[];
}

/**
 * The shortest audit retention a tenant's policy may set, unless the deployment sets another
 * (FACEREC_AUDIT_RETENTION_MIN_DAYS). @default 90 days: a stolen admin key cannot prune away the
 * record of what it did within the last quarter
 */
export const DEFAULT_AUDIT_FLOOR_DAYS = 90;

/** Audit entries an export carries at most; past it the export says so and the audit API pages on. */
const EXPORT_DECISIONS = 10_000;

/** The tenant's privacy policy, its transparency notice, and subject access. */
export function privacyOperations(ctx: OperationContext, personalData: PersonalDataRegistry) {
  const { gallery, engine } = ctx;
  return {
    /** The tenant's policy in force (version 0 is the default nobody set). */
    getPolicy: ctx.operation("getPolicy", async (call): Promise<PolicyVersion> => {
      // Read from the store, not this process's cache: an admin sees what another gateway just set.
      return ctx.policies().store.current(call.tenant);
    }),

    /** Set the tenant's policy: a new version, audited with its number. */
    setPolicy: ctx.operation("setPolicy", async (call, input: unknown): Promise<PolicyVersion> => {
      const policies = ctx.policies();
      let policy: ReturnType<typeof checkPolicy>;
      try {
        policy = checkPolicy(input);
        // The deployment's floor: a tenant's admin key (or whoever took it) cannot prune its own trail away.
        const floor = ctx.options.privacy?.auditRetentionFloorDays ?? DEFAULT_AUDIT_FLOOR_DAYS;
        const days = policy.retention.auditDays;
        if (days !== null && days < floor)
          throw new PolicyError(`retention.auditDays is at least ${floor} in this deployment (FACEREC_AUDIT_RETENTION_MIN_DAYS)`);
        // A target false-match rate the model pack has no calibrated threshold for is refused here.
        policies.thresholdFor(policy);
      } catch (error) {
        if (error instanceof PolicyError || error instanceof RangeError) throw new BadRequestError(error.message);
        throw error;
      }
      const version = await policies.set(call.tenant, policy, call.principal.keyId);
      await call.record(`version ${version.version}`);
      return version;
    }),

    /**
     * The tenant's transparency notice: the models that run, their error rates as measured (the
     * evaluation outputs in the evidence folder, and the model pack's calibration), what is kept and for
     * how long, the liveness check's limits, and whom to ask.
     */
    getNotice: ctx.operation("getNotice", async (call): Promise<TransparencyNotice> => {
      // Read through the cache, which also applies the tenant's threshold, so the rates quoted are at it.
      const policy = await ctx.policies().current(call.tenant);
      const threshold = gallery.thresholdOf(call.tenant, ctx.modelId, "");
      const embedder = engine.embedder.model;
      const calibration = `model pack calibration: ${embedder.calibration ?? "not described"}`;
      const fmr = gallery.thresholdIsSized(call.tenant, ctx.modelId)
        ? targetRate(Number(policy.policy.thresholds.targetFmr ?? DEFAULT_TARGET), threshold, calibration)
        : fmrRate(embedder.thresholds ?? {}, threshold, calibration);
      const liveness = engine.liveness?.model;
      const livenessText = liveness
        ? `${liveness.id}: ${liveness.calibration ?? "no calibration recorded"} A printed photo or a screen can still pass: the check is one signal, not proof of presence. Where a person is asked to turn or close their eyes (the active check), a photo held still, moved, turned or tipped did not pass with two actions asked (ORL's 400 photos); a replayed video of the person making the asked moves can.`
        : "no liveness check runs";
      const review = ctx.options.review;
      return buildNotice({
        policy,
        models: Object.entries(engine.modelIds).map(([role, id]) => ({ role, id })),
        evidence: readEvidence(ctx.options.privacy?.evidenceDir ?? "", threshold),
        packRates: fmr ? [fmr] : [],
        stored: [
          `face templates: ${engine.embedder.dims} numbers computed from a face, from which the photo cannot be rebuilt`,
          gallery.retainsCrops
            ? "aligned 112x112 face crops, kept to recompute templates after a model change"
            : "no face images",
          "an audit entry for every decision: time, camera or API key, outcome, scores, never an image",
          ...(review ? ["faces not recognised, as templates, where the review queue is on for their camera"] : []),
        ],
        retention: review
          ? [
              `faces kept for review: ${Math.min(review.policy.retentionDays, policy.policy.retention.reviewDays ?? Number.POSITIVE_INFINITY)} days`,
            ]
          : [],
        liveness: livenessText,
      });
    }),

    /**
     * A subject-access export: the subject, what every registered store holds about it and every audit
     * entry about it. Admin scope; the export itself is audited.
     */
    exportSubject: ctx.operation("exportSubject", async (call, id: string): Promise<SubjectExport> => {
      ctx.checkId("id", id);
      const subject = await gallery.findSubject(call.tenant, id);
      const templates = gallery.templatesOf(call.tenant, id);
      const negatives = gallery.negativesOf(call.tenant, id);
      const stores = await personalData.export(call.tenant, subject);
      const decisions: AuditEntry[] = [];
      let pageToken: string | undefined;
      do {
        const page = await ctx.audit.query({
          tenant: call.tenant,
          subjectId: id,
          pageSize: AUDIT_PAGE.max,
          ...(pageToken ? { pageToken } : {}),
        });
        decisions.push(...page.entries);
        pageToken = page.nextPageToken;
      } while (pageToken && decisions.length < EXPORT_DECISIONS);
      const truncated = decisions.length > EXPORT_DECISIONS || pageToken !== undefined;
      const kept = Math.min(decisions.length, EXPORT_DECISIONS);
      await call.record(`exported ${templates.length} templates, ${kept} entries`, { subjectId: id });
      return {
        generatedAt: new Date().toISOString(),
        subject,
        templates: templates.map((t) => ({
          id: t.id,
          model: t.model,
          quality: t.quality,
          createdAt: t.createdAt,
          cropRetained: Boolean(t.crop),
        })),
        negatives: negatives.map((t) => ({ id: t.id, model: t.model, createdAt: t.createdAt })),
        stores,
        decisions: decisions.slice(0, EXPORT_DECISIONS),
        decisionsTruncated: truncated,
        held: [
          ...stores.map((s) => `${s.store}: ${s.held}`),
          `each template or face is an embedding of ${engine.embedder.dims} numbers computed by ${ctx.modelId}; no photo is kept`,
          subject.consent
            ? `the consent record: basis ${subject.consent.basis}, given ${subject.consent.givenAt}, notice version ${subject.consent.noticeVersion}, evidence kept by the tenant as ${subject.consent.evidenceRef}`
            : "no consent record",
          "audit entries naming the subject: time, operation, decision, scores, model, camera or API key id; never an image",
        ],
      };
    }),
  };
}
