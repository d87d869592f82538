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
  };
  /** Who answers the people the system sees (a mailbox, a web page, a postal address). @default "" */
  contact: string;
}

export const DEFAULT_TENANT_POLICY: TenantPolicy = {
  consent: { required: false, noticeVersion: "1" },
  retention: { templatesDays: null, auditDays: null },
  contact: "",
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

/** Check a policy as sent, filling what it leaves out from the defaults; PolicyError names the field. */
export function checkPolicy(input: unknown): TenantPolicy {
  if (typeof input !== "object" || input === null) throw new PolicyError("the policy must be an object");
  const p = input as {
    consent?: Partial<TenantPolicy["consent"]>;
    retention?: Partial<TenantPolicy["retention"]>;
    contact?: unknown;
  };
  const consent = { ...DEFAULT_TENANT_POLICY.consent, ...p.consent };
  const retention = { ...DEFAULT_TENANT_POLICY.retention, ...p.retention };
  const contact = p.contact ?? DEFAULT_TENANT_POLICY.contact;
  if (typeof consent.required !== "boolean") throw new PolicyError("consent.required must be true or false");
  if (typeof consent.noticeVersion !== "string" || !/^[\w.-]{1,40}$/.test(consent.noticeVersion)) {
    throw new PolicyError("consent.noticeVersion must be 1-40 letters, digits, dots, dashes or underscores");
  }
  for (const field of ["templatesDays", "auditDays"] as const) {
    const days = retention[field];
    if (days !== null && (!Number.isInteger(days) || days < 1 || days > MAX_DAYS)) {
      throw new PolicyError(`retention.${field} must be null or a whole number of days from 1 to ${MAX_DAYS}`);
    }
  }
  if (typeof contact !== "string" || contact.length > 500)
    throw new PolicyError("contact must be text of at most 500 characters");
  return { consent, retention: { templatesDays: retention.templatesDays, auditDays: retention.auditDays }, contact };
}
