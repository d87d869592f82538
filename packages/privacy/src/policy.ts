/**
 * A tenant's privacy policy: whether enrolment needs a consent record, how long a subject's templates
 * are kept, and who answers questions about the system. Every change is a new version, audited; the
 * transparency notice quotes the version in force.
 */
export interface TenantPolicy {
  consent: {
    /** Enrolment (creating a subject, adding templates) is refused without a consent record. @default false */
    required: boolean;
    /** The version of the notice people consent to, recorded with each consent. @default "1" */
    noticeVersion: string;
  };
  retention: {
    /**
     * A subject whose newest template is older than this many days is erased, templates and all, by
     * the retention job; null keeps templates until erased. @default null
     */
    templatesDays: number | null;
    /**
     * Audit entries older than this many days are pruned behind a checkpoint (the kept chain still
     * verifies); null keeps every entry. @default null
     */
    auditDays: number | null;
    /**
     * Faces in the review queue (and their crops) are purged after this many days; the deployment's
     * FACEREC_REVIEW_RETENTION_DAYS stays the longest. null: the deployment's. @default null
     */
    reviewDays: number | null;
  };
  identify: {
    /** The cameras whose faces may be identified: `all`, or the listed ones. @default "all" */
    cameras: "all" | string[];
  };
  thresholds: {
    /**
     * The false-match rate the tenant's decisions aim at, one the model pack calibrated (`1e-2`,
     * `1e-3`, `1e-4`); null keeps the deployment's (the pack's `fmr_1e-3`). @default null
     */
    targetFmr: TargetFmr | null;
  };
  /** Who answers the people the system sees (a mailbox, a web page, a postal address). @default "" */
  contact: string;
  /**
   * How liveness bears on the tenant's identifications; null keeps the deployment's. A camera the
   * deployment gives a policy of its own (FACEREC_LIVENESS_CAMERAS) keeps that one. @default null
   */
  liveness: LivenessPolicy | null;
}

/**
 * How liveness bears on an identification: `required` refuses a face that fails the liveness gate
 * (rejected-spoof), `advisory` scores and reports it but never refuses, `off` does not run the model
 * (identifying people in stored photos is a normal use, and a photo of a photo is not an attack there).
 * Listed from loosest to strictest.
 */
export const LIVENESS_POLICIES = ["off", "advisory", "required"] as const;
export type LivenessPolicy = (typeof LIVENESS_POLICIES)[number];

/** The false-match rates a policy may target: those `facerec calibrate` reports and packs record. */
export const TARGET_FMRS = ["1e-2", "1e-3", "1e-4"] as const;
export type TargetFmr = (typeof TARGET_FMRS)[number];

/** Whether the policy lets faces from `camera` be identified. */
export function mayIdentify(policy: TenantPolicy, camera: string): boolean {
  return policy.identify.cameras === "all" || policy.identify.cameras.includes(camera);
}

export const DEFAULT_TENANT_POLICY: TenantPolicy = {
  consent: { required: false, noticeVersion: "1" },
  retention: { templatesDays: null, auditDays: null, reviewDays: null },
  identify: { cameras: "all" },
  thresholds: { targetFmr: null },
  contact: "",
  liveness: null,
};

/** A policy as the store keeps it: the version, when and by which key it was set. */
export interface PolicyVersion {
  tenant: string;
  /** 0 for the default nobody set; each change adds one. */
  version: number;
  policy: TenantPolicy;
  setAt: string;
  setBy: string;
}

export class PolicyError extends Error {
  override readonly name = "PolicyError";
}

/** The longest retention a policy may name: 100 years is no limit a deployment needs in days. */
const MAX_DAYS = 36_500;

/** Cameras a policy lists at most: a site's cameras, not a fleet's serial numbers. */
const MAX_CAMERAS = 1000;

/** Check a policy as sent, filling what it leaves out from the defaults; PolicyError names the field. */
export function checkPolicy(input: unknown): TenantPolicy {
  if (typeof input !== "object" || input === null) throw new PolicyError("the policy must be an object");
  const p = input as {
    consent?: Partial<TenantPolicy["consent"]>;
    retention?: Partial<TenantPolicy["retention"]>;
    identify?: Partial<TenantPolicy["identify"]>;
    thresholds?: Partial<TenantPolicy["thresholds"]>;
    contact?: unknown;
    liveness?: unknown;
  };
  const consent = { ...DEFAULT_TENANT_POLICY.consent, ...p.consent };
  const retention = { ...DEFAULT_TENANT_POLICY.retention, ...p.retention };
  const identify = { ...DEFAULT_TENANT_POLICY.identify, ...p.identify };
  const thresholds = { ...DEFAULT_TENANT_POLICY.thresholds, ...p.thresholds };
  const cameras = identify.cameras;
  if (
    cameras !== "all" &&
    !(
      Array.isArray(cameras) &&
      cameras.length <= MAX_CAMERAS &&
      cameras.every((c) => typeof c === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(c))
    )
  ) {
    throw new PolicyError(
      `identify.cameras must be "all" or a list of at most ${MAX_CAMERAS} camera names (letters, digits, - and _)`,
    );
  }
  if (thresholds.targetFmr !== null && !TARGET_FMRS.includes(thresholds.targetFmr)) {
    throw new PolicyError(`thresholds.targetFmr must be null or one of ${TARGET_FMRS.join(", ")}`);
  }
  const contact = p.contact ?? DEFAULT_TENANT_POLICY.contact;
  if (typeof consent.required !== "boolean") throw new PolicyError("consent.required must be true or false");
  if (typeof consent.noticeVersion !== "string" || !/^[\w.-]{1,40}$/.test(consent.noticeVersion)) {
    throw new PolicyError("consent.noticeVersion must be 1-40 letters, digits, dots, dashes or underscores");
  }
  for (const field of ["templatesDays", "auditDays", "reviewDays"] as const) {
    const days = retention[field];
    if (days !== null && (!Number.isInteger(days) || days < 1 || days > MAX_DAYS)) {
      throw new PolicyError(`retention.${field} must be null or a whole number of days from 1 to ${MAX_DAYS}`);
    }
  }
  if (typeof contact !== "string" || contact.length > 500)
    throw new PolicyError("contact must be text of at most 500 characters");
  const liveness = p.liveness ?? null;
  if (liveness !== null && !LIVENESS_POLICIES.includes(liveness as LivenessPolicy))
    throw new PolicyError(`liveness must be null or one of ${LIVENESS_POLICIES.join(", ")}`);
  // Only the fields a policy has are kept: anything else sent inside its parts is dropped, not stored.
  return {
    consent: { required: consent.required, noticeVersion: consent.noticeVersion },
    retention: { templatesDays: retention.templatesDays, auditDays: retention.auditDays, reviewDays: retention.reviewDays },
    identify: { cameras: cameras === "all" ? "all" : [...new Set(cameras)] },
    thresholds: { targetFmr: thresholds.targetFmr },
    contact,
    liveness: liveness as LivenessPolicy | null,
  };
}
