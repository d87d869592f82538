import { randomBytes, randomUUID } from "node:crypto";
import {
  PAGE as AUDIT_PAGE,
  type AuditEntry,
  type AuditPage,
  type AuditQuery,
  type AuditTrail,
  type AuditVerification,
} from "@facerec/audit";
import { type ApiKeyRecord, ApiKeyStore, AuthError, ForbiddenError, type Principal, type Scope } from "@facerec/auth";
import { isToken, token } from "@facerec/common";
import type { MatchEvent } from "@facerec/contracts";
import {
  type ConsentRecord,
  type Decision,
  type Gallery,
  NotFoundError,
  type ReviewCluster,
  type ReviewItem,
  type ReviewStore,
  reviewClusterOf,
  type Subject,
  type ThresholdExplanation,
} from "@facerec/gallery";
import type { DeliveryAttempt, Webhook, WebhookDispatcher } from "@facerec/notify";
import { insideImportRoot, type JobSpec, type Jobs, type JobView, matchEventOf, OutsideImportError } from "@facerec/pipeline";
import {
  buildNotice,
  checkPolicy,
  fmrRate,
  LIVENESS_POLICIES,
  type LivenessPolicy,
  PolicyError,
  type PolicyVersion,
  readEvidence,
  type TransparencyNotice,
} from "@facerec/privacy";
import {
  type Challenge,
  type ChallengeStore,
  MemoryChallengeStore,
  queueForReview,
  type ReviewPolicy,
  type TenantPolicies,
} from "@facerec/runtime";
import {
  CHALLENGE_PROMPTS,
  type ChallengeAction,
  type ChallengeVerdict,
  cosine,
  decodeImage,
  encodePng,
  type Face,
  FaceEngine,
  type FrameObservation,
  ImageError,
  judgeChallenge,
  observedActions,
  type SubjectAgreement,
  subjectAgreement,
} from "@facerec/vision";
import { Admission } from "./admission.js";
import { type ChallengeOptions, challengeOptions, drawActions } from "./challenge.js";
import {
  BadRequestError,
  ConsentRequiredError,
  RateLimitError,
  TooLargeError,
  UnavailableError,
  WebhookNotFoundError,
} from "./errors.js";
import { DEFAULT_LIMITS, type Limits } from "./limits.js";
import type { MatchFeed } from "./match-feed.js";
import { RateLimiter } from "./rate-limit.js";

/** What a caller asks for: a job kind and the fields it takes (checked here, for both transports). */
export type JobRequest = { kind: JobSpec["kind"]; folder?: string; subjectId?: string };

/** What a caller sees of a webhook: everything but its secret. */
export type WebhookView = Omit<Webhook, "secret" | "deletedAt">;

/** A webhook as asked for: the receiver's URL and the filters (empty or absent: every decision). */
export type WebhookRequest = { url: string; outcomes?: string[]; cameras?: string[]; subjects?: string[] };

/** The decision outcomes a webhook may filter on (the match events' words). */
export const OUTCOMES = ["match", "unknown", "rejected-quality", "rejected-spoof", "rejected-camera"] as const;

/** A face in the review queue as the API shows it: never its embedding. */
export type ReviewFace = Omit<ReviewItem, "vector" | "tenant" | "cluster" | "model">;

/** Everything the product holds about one subject, for a subject-access request. */
export interface SubjectExport {
  generatedAt: string;
  subject: Subject;
  /** The templates' metadata; each is an embedding of `dims` floats, not included (see `held`). */
  templates: { id: string; model: string; quality: number; createdAt: string; cropRetained: boolean }[];
  /** Faces marked "not this subject" by corrective feedback (their embeddings, not included). */
  negatives: { id: string; model: string; createdAt: string }[];
  /** The audit trail's entries about the subject (enrolments, decisions that named it), oldest first. */
  decisions: AuditEntry[];
  /** True when there were more than EXPORT_DECISIONS entries; the rest are in the audit API. */
  decisionsTruncated: boolean;
  /** What is held and in what form, in words. */
  held: string[];
}

/** Audit entries an export carries at most; past it the export says so and the audit API pages on. */
const EXPORT_DECISIONS = 10_000;

/** Clusters a review page lists at most. */
const REVIEW_PAGE = 100;

/** Attempts a delivery-log page shows at most. */
const DELIVERY_LOG_PAGE = 100;

/** Cameras one match stream may name; a site with more follows them all with an empty list. */
const MAX_CAMERAS = 100;

export interface FaceResult {
  box: Face["box"];
  outcome: Decision["outcome"];
  subjectId?: string;
  score?: number;
  threshold?: number;
  quality: number;
  liveness?: number;
  candidates: { subjectId: string; score: number; threshold: number }[];
}

export interface RecognitionOptions {
  /** Where WatchMatches and identify's events go: the matchers' NATS feed, or one in this process. */
  feed?: MatchFeed;
  /** The job queue on Redis and the folder enrol-folder jobs may read. */
  jobs?: { queue: Jobs; importRoot: string };
  /** Overrides of DEFAULT_LIMITS. */
  limits?: Partial<Limits>;
  /** Told of every decision this gateway makes (MQTT notifications); the matchers notify their own. */
  notify?: (event: MatchEvent) => void;
  /** The tenants' webhooks: this gateway's decisions go to them, and the webhook API manages them. */
  webhooks?: WebhookDispatcher;
  /** The review queue: which unknown faces it keeps (opt-in per camera), and where. */
  review?: { store: ReviewStore; policy: ReviewPolicy };
  /**
   * The tenants' privacy policies, and the folder of evaluation outputs the transparency notice
   * quotes. Without it every tenant has the default policy (no consent required) and the policy API
   * answers 503.
   */
  privacy?: { policies: TenantPolicies; evidenceDir: string };
  /**
   * The liveness policy: the deployment's, and per camera where it differs. A request may ask for a
   * stricter one; only an admin key may ask for a looser one. @default required everywhere
   */
  liveness?: { policy: LivenessPolicy; cameras?: Record<string, LivenessPolicy> };
  /**
   * The active liveness check: its settings over DEFAULT_CHALLENGE, and where open challenges live
   * (PostgreSQL, shared by every gateway; by default this process's memory).
   */
  challenge?: Partial<ChallengeOptions> & { store?: ChallengeStore };
}

/** A started challenge as the caller sees it: what to ask the person, and until when. */
export interface ChallengeView {
  id: string;
  actions: ChallengeAction[];
  /** The words to show for each action, in order. */
  prompts: string[];
  expiresAt: string;
  maxFrames: number;
}

/** What one frame of a challenge showed, and whether every asked action has been seen yet. */
export interface ChallengeFrameView {
  frame: number;
  faces: number;
  pose?: { yaw: number; eyes?: number };
  observed: ChallengeAction[];
  complete: boolean;
}

export type ChallengeResult = ChallengeVerdict & {
  id: string;
  actions: ChallengeAction[];
  /** Where the start named a subject: whether the person who answered is them (see subjectAgreement). */
  subject?: SubjectAgreement & { subjectId: string };
  requestId: string;
};

/** The longest text a consent record's fields take. */
const CONSENT_TEXT = 200;

/** A consent record as sent, checked: every field present, a real time not in the future. */
export function checkConsent(c: ConsentRecord): ConsentRecord {
  for (const field of ["basis", "givenAt", "noticeVersion", "evidenceRef"] as const) {
    const v = c[field];
    if (typeof v !== "string" || v.trim() === "" || v.length > CONSENT_TEXT) {
      throw new BadRequestError(`consent.${field} must be text of 1 to ${CONSENT_TEXT} characters`);
    }
  }
  const at = Date.parse(c.givenAt);
  // A few minutes' grace for the clocks of the client and the gateway.
  if (!Number.isFinite(at) || at > Date.now() + 300_000) {
    throw new BadRequestError("consent.givenAt must be an ISO 8601 time, not in the future");
  }
  return { basis: c.basis, givenAt: new Date(at).toISOString(), noticeVersion: c.noticeVersion, evidenceRef: c.evidenceRef };
}

/**
 * The product's operations, independent of transport: REST and gRPC both call these, so both are held
 * to the same rules: authentication and the rate limit (`admit`), input limits, admission control of
 * image work and the cap on match streams. Every decision, refusals included, is appended to the audit
 * trail with the caller's tenant and key.
 */
export class Recognition {
  readonly limits: Limits;
  private readonly feed: MatchFeed | undefined;
  private readonly jobs: { queue: Jobs; importRoot: string } | undefined;
  private readonly notify: ((event: MatchEvent) => void) | undefined;
  private readonly webhooks: WebhookDispatcher | undefined;
  private readonly review: { store: ReviewStore; policy: ReviewPolicy } | undefined;
  private readonly privacy: { policies: TenantPolicies; evidenceDir: string } | undefined;
  private readonly liveness: { policy: LivenessPolicy; cameras: Record<string, LivenessPolicy> };
  private readonly limiter: RateLimiter | undefined;
  private readonly authFailures: RateLimiter;
  private readonly admission: Admission;
  private readonly streams = new Map<string, number>();
  private readonly challenge: ChallengeOptions;
  private readonly challenges: ChallengeStore;

  constructor(
    private readonly engine: FaceEngine,
    private readonly gallery: Gallery,
    private readonly audit: AuditTrail,
    private readonly keys: ApiKeyStore,
    options: RecognitionOptions = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.feed = options.feed;
    this.jobs = options.jobs;
    this.notify = options.notify;
    this.webhooks = options.webhooks;
    this.review = options.review;
    this.privacy = options.privacy;
    this.liveness = { policy: options.liveness?.policy ?? "required", cameras: options.liveness?.cameras ?? {} };
    this.limiter = this.limits.ratePerMinute > 0 ? new RateLimiter(this.limits.ratePerMinute) : undefined;
    this.authFailures = new RateLimiter(this.limits.authFailuresPerMinute);
    const { store, ...challenge } = options.challenge ?? {};
    // Blinks are read from the 68-point model's eyelids; a pack aligned on five points has none.
    this.challenge = challengeOptions(challenge, engine.landmarker !== undefined);
    this.challenges = store ?? new MemoryChallengeStore();
    this.admission = new Admission({
      workers: this.limits.imageWorkers,
      queue: this.limits.imageQueue,
      tenantShare: this.limits.tenantImageShare,
    });
  }

  /**
   * The caller a presented key stands for, within its rate limit; `client` is its address, whose failed
   * authentications are limited too. A refusal is a decision and is audited before the error goes on;
   * a refused key's caller is unknown, so that entry has no tenant.
   */
  async admit(key: string | undefined, operation: string, requestId: string, client = "-"): Promise<Principal> {
    const refuse = (decision: string) => this.audit.append({ tenant: "-", keyId: "-", operation, decision, requestId });
    const wait = this.authFailures.wait(client);
    if (wait > 0) {
      await refuse("rejected-auth:too-many-failures");
      throw new RateLimitError(`too many failed authentications from this address; retry in ${wait} s`, wait);
    }
    let p: Principal;
    try {
      p = await this.keys.authenticate(key);
    } catch (error) {
      if (error instanceof AuthError) {
        this.authFailures.take(client);
        await refuse(`rejected-auth:${error.reason}`);
      }
      throw error;
    }
    const allowed = this.limiter?.take(p.keyId) ?? { ok: true };
    if (!allowed.ok) {
      await this.refused(p, operation, "rejected-rate-limit", requestId);
      throw new RateLimitError(`rate limit exceeded; retry in ${allowed.retryAfterSeconds} s`, allowed.retryAfterSeconds);
    }
    return p;
  }

  /** Audit a refused request of a known caller: bad input, not found, forbidden, overload. */
  async refused(p: Principal, operation: string, decision: string, requestId: string): Promise<void> {
    await this.audit.append({ tenant: p.tenant, keyId: p.keyId, operation, decision, requestId });
  }

  private health: { at: number; state: Promise<{ writable: boolean; reason?: string }> } | undefined;

  /** Whether the audit trail can take entries now (checked at most once a second): readiness reports it. */
  auditHealth(): Promise<{ writable: boolean; reason?: string }> {
    if (!this.health || Date.now() - this.health.at > 1000) this.health = { at: Date.now(), state: this.audit.health() };
    return this.health.state;
  }

  /** A change is refused before it is made when its audit entry could not be written. */
  private async changeable(): Promise<void> {
    const { writable, reason } = await this.auditHealth();
    if (!writable)
      throw new UnavailableError(`the audit trail cannot be written (${reason}); no change is made without its entry`);
  }

  /** Image work runs under admission control: bounded in flight, per process and per tenant. */
  private admitted<T>(p: Principal, work: () => Promise<T>): Promise<T> {
    return this.admission.run(p.tenant, work);
  }

  /** An image within the size limit, before any work is spent on it. */
  private checkImage(bytes: Uint8Array, what = "the image"): void {
    if (bytes.byteLength > this.limits.imageBytes) {
      throw new TooLargeError(`${what} is ${bytes.byteLength} bytes; the limit is ${this.limits.imageBytes}`);
    }
  }

  /** A subject's name and metadata within their limits. */
  private checkSubject(change: { name?: string; metadata?: Record<string, string> }): void {
    const { subjectName, metadataEntries, metadataValue } = this.limits;
    if (change.name !== undefined && (change.name.length < 1 || change.name.length > subjectName)) {
      throw new BadRequestError(`name must be 1-${subjectName} characters (got ${change.name.length})`);
    }
    const entries = Object.entries(change.metadata ?? {});
    if (entries.length > metadataEntries) throw new BadRequestError(`metadata holds at most ${metadataEntries} entries`);
    for (const [k, v] of entries) {
      if (k.length > metadataValue || v.length > metadataValue) {
        throw new BadRequestError(`metadata keys and values are at most ${metadataValue} characters (${k.slice(0, 40)})`);
      }
    }
  }

  /** How much the gallery holds (for metrics). */
  galleryStats(): { subjects: number; templates: number } {
    return this.gallery.stats();
  }

  /** Jobs by state, for metrics; empty without Redis. */
  async jobCounts(): Promise<Record<string, number>> {
    return this.jobs ? this.jobs.queue.counts() : {};
  }

  /**
   * The tenant's view of the system: its gallery, review queue and webhooks, the models, whether
   * decisions can be audited now, and the job queue (deployment-wide, with Redis).
   */
  async status(p: Principal): Promise<{
    subjects: number;
    templates: number;
    reviewClusters: number;
    webhooks: number;
    models: string[];
    auditWritable: boolean;
    jobs: Record<string, number>;
  }> {
    ApiKeyStore.require(p, "recognise");
    const subjects = this.gallery.listSubjects(p.tenant);
    const [health, review, webhooks, jobs] = await Promise.all([
      this.auditHealth(),
      this.review ? this.review.store.clusters(p.tenant, 1, 0) : Promise.resolve({ total: 0 }),
      this.webhooks ? this.webhooks.store.list(p.tenant) : Promise.resolve([]),
      this.jobCounts(),
    ]);
    return {
      subjects: subjects.length,
      templates: subjects.reduce((n, s) => n + this.gallery.templatesOf(p.tenant, s.id).length, 0),
      reviewClusters: review.total,
      webhooks: webhooks.length,
      models: [this.modelId],
      auditWritable: health.writable,
      jobs,
    };
  }

  /** Called with each image's engine time, for metrics. */
  onEngineTime?: (operation: string, seconds: number) => void;

  private async analyse(operation: string, image: Uint8Array, liveness: boolean): Promise<Face[]> {
    const decoded = await decodeImage(image);
    const started = performance.now();
    const faces = await this.engine.analyse(decoded, { liveness });
    this.onEngineTime?.(operation, (performance.now() - started) / 1000);
    return faces;
  }

  get modelId(): string {
    return this.engine.embedder.id;
  }

  private async record(
    p: Principal,
    operation: string,
    decision: string,
    started: number,
    extra: { subjectId?: string; scores?: number[] } = {},
    requestId: string = randomUUID(),
  ): Promise<string> {
    await this.audit.append({
      tenant: p.tenant,
      keyId: p.keyId,
      operation,
      decision,
      requestId,
      modelId: this.modelId,
      latencyMs: Date.now() - started,
      ...extra,
    });
    return requestId;
  }

  /** Create a subject; under a consent-required policy only with a consent record. */
  async createSubject(p: Principal, name: string, metadata: Record<string, string>, consent?: ConsentRecord): Promise<Subject> {
    ApiKeyStore.require(p, "enrol");
    this.checkSubject({ name, metadata });
    const checked = consent ? checkConsent(consent) : undefined;
    if (!checked) await this.requireConsent(p.tenant, "create a subject");
    await this.changeable();
    const started = Date.now();
    const subject = await this.gallery.createSubject(p.tenant, name, metadata, checked);
    await this.record(p, "create-subject", checked ? `created with consent (${checked.basis})` : "created", started, {
      subjectId: subject.id,
    });
    return subject;
  }

  /** Rename a subject, replace its metadata, or record its consent. */
  async updateSubject(
    p: Principal,
    id: string,
    change: { name?: string; metadata?: Record<string, string>; consent?: ConsentRecord },
  ): Promise<Subject> {
    ApiKeyStore.require(p, "enrol");
    this.checkSubject(change);
    const consent = change.consent ? checkConsent(change.consent) : undefined;
    await this.changeable();
    const started = Date.now();
    const subject = await this.gallery.updateSubject(p.tenant, id, { ...change, ...(consent ? { consent } : {}) });
    await this.record(p, "update-subject", consent ? `updated, consent recorded (${consent.basis})` : "updated", started, {
      subjectId: id,
    });
    return subject;
  }

  /** The tenant's policy in force (version 0 is the default nobody set). */
  async getPolicy(p: Principal): Promise<PolicyVersion> {
    ApiKeyStore.require(p, "admin");
    // Read from the store, not this process's cache: an admin sees what another gateway just set.
    return this.policies().store.current(p.tenant);
  }

  /** Set the tenant's policy: a new version, audited with its number. */
  async setPolicy(p: Principal, input: unknown): Promise<PolicyVersion> {
    ApiKeyStore.require(p, "admin");
    const policies = this.policies();
    let policy: ReturnType<typeof checkPolicy>;
    try {
      policy = checkPolicy(input);
      // A target false-match rate the model pack has no calibrated threshold for is refused here.
      policies.thresholdFor(policy);
    } catch (error) {
      if (error instanceof PolicyError || error instanceof RangeError) throw new BadRequestError(error.message);
      throw error;
    }
    await this.changeable();
    const started = Date.now();
    const version = await policies.set(p.tenant, policy, p.keyId);
    await this.record(p, "set-policy", `version ${version.version}`, started);
    return version;
  }

  /**
   * The person withdrew consent: the subject is erased as by deleteSubject (templates, vectors, crops,
   * negatives), audited as a withdrawal.
   */
  async withdrawConsent(p: Principal, id: string): Promise<{ templatesRemoved: number }> {
    return this.erase(p, id, "withdraw-consent");
  }

  private policies(): TenantPolicies {
    if (!this.privacy) throw new UnavailableError("tenant policies are not configured on this gateway");
    return this.privacy.policies;
  }

  /** Refuse `what` when the tenant's policy requires a consent record and none is at hand. */
  private async requireConsent(tenant: string, what: string): Promise<void> {
    if (!this.privacy) return;
    const { policy } = await this.privacy.policies.current(tenant);
    if (policy.consent.required) {
      throw new ConsentRequiredError(
        `this tenant's policy requires a consent record to ${what}: give consent {basis, givenAt, noticeVersion, evidenceRef}`,
      );
    }
  }

  /** Enrolment into a subject: under a consent-required policy, the subject must carry consent. */
  private async requireSubjectConsent(tenant: string, subject: Subject): Promise<void> {
    if (!subject.consent)
      await this.requireConsent(tenant, `enrol into subject ${subject.id} (it has none; record it with an update)`);
  }

  /**
   * The tenant's transparency notice: the models that run, their error rates as measured (the
   * evaluation outputs in the evidence folder, and the model pack's calibration), what is kept and for
   * how long, the liveness check's limits, and whom to ask.
   */
  async notice(p: Principal): Promise<TransparencyNotice> {
    ApiKeyStore.require(p, "recognise");
    // Read through the cache, which also applies the tenant's threshold, so the rates quoted are at it.
    const policy = await this.policies().current(p.tenant);
    const threshold = this.gallery.thresholdOf(p.tenant, this.modelId, "");
    const embedder = this.engine.embedder.model;
    const fmr = fmrRate(
      embedder.thresholds ?? {},
      threshold,
      `model pack calibration: ${embedder.calibration ?? "not described"}`,
    );
    const liveness = this.engine.liveness?.model;
    const livenessText = liveness
      ? `${liveness.id}: ${liveness.calibration ?? "no calibration recorded"} A printed photo or a screen can still pass: the check is one signal, not proof of presence. Where a person is asked to turn or close their eyes (the active check), a photo held still, moved, turned or tipped did not pass with two actions asked (ORL's 400 photos); a replayed video of the person making the asked moves can.`
      : "no liveness check runs";
    const retains = this.gallery.retainsCrops;
    return buildNotice({
      policy,
      models: Object.entries(this.engine.modelIds).map(([role, id]) => ({ role, id })),
      evidence: readEvidence(this.privacy?.evidenceDir ?? "", threshold),
      packRates: fmr ? [fmr] : [],
      stored: [
        `face templates: ${this.engine.embedder.dims} numbers computed from a face, from which the photo cannot be rebuilt`,
        retains ? "aligned 112x112 face crops, kept to recompute templates after a model change" : "no face images",
        "an audit entry for every decision: time, camera or API key, outcome, scores, never an image",
        ...(this.review ? ["faces not recognised, as templates, where the review queue is on for their camera"] : []),
      ],
      retention: this.review
        ? [
            `faces kept for review: ${Math.min(this.review.policy.retentionDays, policy.policy.retention.reviewDays ?? Number.POSITIVE_INFINITY)} days`,
          ]
        : [],
      liveness: livenessText,
    });
  }

  async listSubjects(p: Principal): Promise<Subject[]> {
    ApiKeyStore.require(p, "recognise");
    await this.gallery.sync();
    return this.gallery.listSubjects(p.tenant);
  }

  /** A subject with its template count and, once it has templates, why its threshold is what it is. */
  async getSubject(p: Principal, id: string): Promise<Subject & { templates: number; threshold?: ThresholdExplanation }> {
    ApiKeyStore.require(p, "recognise");
    const subject = await this.gallery.findSubject(p.tenant, id);
    const threshold = this.gallery.explainThreshold(p.tenant, this.modelId, id);
    return { ...subject, templates: this.gallery.templatesOf(p.tenant, id).length, ...(threshold ? { threshold } : {}) };
  }

  async deleteSubject(p: Principal, id: string): Promise<{ templatesRemoved: number }> {
    return this.erase(p, id, "delete-subject");
  }

  private async erase(p: Principal, id: string, operation: string): Promise<{ templatesRemoved: number }> {
    ApiKeyStore.require(p, "enrol");
    await this.changeable();
    const started = Date.now();
    const subject = await this.gallery.findSubject(p.tenant, id);
    const { templates } = await this.gallery.deleteSubject(p.tenant, id);
    await this.jobs?.queue.forget(p.tenant, subject);
    await this.record(p, operation, "erased", started, { subjectId: id });
    return { templatesRemoved: templates };
  }

  /** Create an API key in the caller's tenant; the key is in the answer once and never again. */
  async createKey(
    p: Principal,
    name: string,
    scopes: string[],
  ): Promise<{ key: string; record: Omit<ApiKeyRecord, "secretSha256"> }> {
    ApiKeyStore.require(p, "admin");
    await this.changeable();
    const started = Date.now();
    let created: Awaited<ReturnType<ApiKeyStore["create"]>>;
    try {
      created = await this.keys.create(p.tenant, name, scopes as Scope[]);
    } catch (error) {
      if (error instanceof RangeError) throw new BadRequestError(error.message);
      throw error;
    }
    await this.record(p, "create-key", `created ${created.record.id}`, started);
    const { secretSha256: _, ...record } = created.record;
    return { key: created.key, record };
  }

  async listKeys(p: Principal): Promise<Omit<ApiKeyRecord, "secretSha256">[]> {
    ApiKeyStore.require(p, "admin");
    return this.keys.list(p.tenant);
  }

  /** Revoke a key of the caller's tenant; every replica refuses it within the documented bound. */
  async revokeKey(p: Principal, id: string): Promise<Omit<ApiKeyRecord, "secretSha256">> {
    ApiKeyStore.require(p, "admin");
    await this.changeable();
    const started = Date.now();
    const revoked = await this.keys.revoke(p.tenant, id);
    await this.record(p, "revoke-key", `revoked ${id}`, started);
    return revoked;
  }

  /**
   * A subject-access export: the subject, its templates' metadata and every audit entry about it.
   * Admin scope; the export itself is audited.
   */
  async exportSubject(p: Principal, id: string): Promise<SubjectExport> {
    ApiKeyStore.require(p, "admin");
    const started = Date.now();
    const subject = await this.gallery.findSubject(p.tenant, id);
    const templates = this.gallery.templatesOf(p.tenant, id);
    const negatives = this.gallery.negativesOf(p.tenant, id);
    const decisions: AuditEntry[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.audit.query({
        tenant: p.tenant,
        subjectId: id,
        pageSize: AUDIT_PAGE.max,
        ...(pageToken ? { pageToken } : {}),
      });
      decisions.push(...page.entries);
      pageToken = page.nextPageToken;
    } while (pageToken && decisions.length < EXPORT_DECISIONS);
    const truncated = decisions.length > EXPORT_DECISIONS || pageToken !== undefined;
    await this.record(
      p,
      "export-subject",
      `exported ${templates.length} templates, ${Math.min(decisions.length, EXPORT_DECISIONS)} entries`,
      started,
      {
        subjectId: id,
      },
    );
    const retained = templates.filter((t) => t.crop).length;
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
      decisions: decisions.slice(0, EXPORT_DECISIONS),
      decisionsTruncated: truncated,
      held: [
        `${templates.length} face templates (embeddings of ${this.engine.embedder.dims} numbers computed by ${this.modelId}); no photo is kept`,
        retained ? `${retained} aligned face crops (112x112), kept because crop retention is on` : "no face crops",
        `${negatives.length} faces of other people marked "not this subject" (embeddings), kept so they are not matched to it again`,
        subject.consent
          ? `the consent record: basis ${subject.consent.basis}, given ${subject.consent.givenAt}, notice version ${subject.consent.noticeVersion}, evidence kept by the tenant as ${subject.consent.evidenceRef}`
          : "no consent record",
        "audit entries naming the subject: time, operation, decision, scores, model, camera or API key id; never an image",
      ],
    };
  }

  private reviewStore(): ReviewStore {
    if (!this.review) throw new UnavailableError("the review queue is not configured on this gateway");
    return this.review.store;
  }

  /** The tenant's clusters of unknown faces, the most recently seen first. */
  async listReviewClusters(p: Principal, limit = REVIEW_PAGE, offset = 0): Promise<{ clusters: ReviewCluster[]; total: number }> {
    ApiKeyStore.require(p, "enrol");
    if (!Number.isInteger(offset) || offset < 0) throw new BadRequestError("offset must be a whole number, 0 or more");
    return this.reviewStore().clusters(p.tenant, Math.min(Math.max(1, limit), REVIEW_PAGE), offset);
  }

  /** One cluster and its faces (where and when each was seen, the nearest subjects then). */
  async getReviewCluster(p: Principal, id: string): Promise<{ cluster: ReviewCluster; faces: ReviewFace[] }> {
    ApiKeyStore.require(p, "enrol");
    const items = await this.reviewStore().items(p.tenant, id);
    const first = items[0];
    if (!first) throw new NotFoundError(`no review cluster ${id} in this tenant`);
    return {
      cluster: reviewClusterOf(p.tenant, first.model, id, items),
      faces: items.map(({ vector: _, tenant: __, cluster: ___, model: ____, ...face }) => face),
    };
  }

  /** A queued face's aligned crop (PNG), kept where crop retention is on. */
  async getReviewFaceCrop(p: Principal, id: string): Promise<Uint8Array> {
    ApiKeyStore.require(p, "enrol");
    const png = await this.reviewStore().crop(p.tenant, id);
    if (!png)
      throw new NotFoundError(`no kept crop for review face ${id} in this tenant (crops are kept only with crop retention on)`);
    return png;
  }

  /**
   * Name a cluster: its faces become templates of an existing subject (`subjectId`) or of a new one
   * (`name`), those under the gallery's quality floor left out, and the cluster leaves the queue.
   */
  async assignReviewCluster(
    p: Principal,
    id: string,
    to: { subjectId?: string; name?: string },
  ): Promise<{ subject: Subject; templates: number; skipped: number }> {
    ApiKeyStore.require(p, "enrol");
    const store = this.reviewStore();
    if (!to.subjectId === !to.name) throw new BadRequestError("give either subjectId or name");
    if (to.name !== undefined) this.checkSubject({ name: to.name, metadata: {} });
    await this.changeable();
    const started = Date.now();
    // The subject is checked before the cluster is taken, so a wrong id loses nothing.
    const existing = to.subjectId ? await this.gallery.findSubject(p.tenant, to.subjectId) : undefined;
    if (existing) await this.requireSubjectConsent(p.tenant, existing);
    else
      await this.requireConsent(
        p.tenant,
        "make a subject of a review cluster (create the subject with consent, then assign to it)",
      );
    if (!(await store.items(p.tenant, id)).length) throw new NotFoundError(`no review cluster ${id} in this tenant`);
    const subject = existing ?? (await this.gallery.createSubject(p.tenant, to.name as string, {}));
    const items = await store.take(p.tenant, id);
    const usable = items.filter((i) => i.model === this.modelId && i.quality >= this.gallery.policy.minQuality);
    if (usable.length)
      await this.gallery.enrol(
        p.tenant,
        subject.id,
        this.modelId,
        usable.map((i) => ({ vector: i.vector, quality: i.quality, ...(i.crop ? { crop: i.crop } : {}) })),
      );
    await this.record(
      p,
      "review-assign",
      `assigned ${id}: ${usable.length} templates, ${items.length - usable.length} skipped`,
      started,
      {
        subjectId: subject.id,
      },
    );
    return { subject, templates: usable.length, skipped: items.length - usable.length };
  }

  /** Dismiss a cluster: its faces leave the queue and are not kept anywhere. */
  async dismissReviewCluster(p: Principal, id: string): Promise<{ faces: number }> {
    ApiKeyStore.require(p, "enrol");
    const store = this.reviewStore();
    await this.changeable();
    const started = Date.now();
    const items = await store.take(p.tenant, id);
    if (!items.length) throw new NotFoundError(`no review cluster ${id} in this tenant`);
    await this.record(p, "review-dismiss", `dismissed ${id}: ${items.length} faces`, started);
    return { faces: items.length };
  }

  private webhookDispatcher(): WebhookDispatcher {
    if (!this.webhooks) throw new UnavailableError("webhooks are not configured on this gateway");
    return this.webhooks;
  }

  private checkWebhook(r: WebhookRequest): void {
    let url: URL;
    try {
      url = new URL(r.url);
    } catch {
      throw new BadRequestError("url must be an absolute http:// or https:// URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new BadRequestError("url must be http:// or https://");
    if (r.url.length > this.limits.webhookUrl)
      throw new BadRequestError(`url is longer than ${this.limits.webhookUrl} characters`);
    const unknown = (r.outcomes ?? []).filter((o) => !(OUTCOMES as readonly string[]).includes(o));
    if (unknown.length) throw new BadRequestError(`outcomes: ${unknown.join(", ")} is not one of ${OUTCOMES.join(", ")}`);
    for (const [name, list] of [
      ["cameras", r.cameras],
      ["subjects", r.subjects],
    ] as const) {
      if ((list ?? []).length > this.limits.webhookFilterEntries)
        throw new BadRequestError(`${name}: at most ${this.limits.webhookFilterEntries} entries`);
      if ((list ?? []).some((v) => !isToken(v)))
        throw new BadRequestError(`${name}: each entry must be 1-64 letters, digits, _ or -`);
    }
  }

  /**
   * Register a webhook in the caller's tenant; its signing secret is in this answer only. Decisions
   * that pass its filters are POSTed to it, signed, and retried when it fails (see WebhookDispatcher).
   */
  async createWebhook(p: Principal, r: WebhookRequest): Promise<{ secret: string; webhook: WebhookView }> {
    ApiKeyStore.require(p, "admin");
    const webhooks = this.webhookDispatcher();
    this.checkWebhook(r);
    await this.changeable();
    const started = Date.now();
    if ((await webhooks.store.list(p.tenant)).length >= this.limits.webhooksPerTenant)
      throw new BadRequestError(`a tenant may have at most ${this.limits.webhooksPerTenant} webhooks; delete one first`);
    const hook: Webhook = {
      id: randomBytes(8).toString("hex"),
      tenant: p.tenant,
      url: r.url,
      outcomes: [...new Set(r.outcomes ?? [])],
      cameras: [...new Set(r.cameras ?? [])],
      subjects: [...new Set(r.subjects ?? [])],
      secret: `whsec_${randomBytes(32).toString("base64url")}`,
      createdAt: new Date().toISOString(),
    };
    await webhooks.store.insert(hook);
    webhooks.changed(p.tenant);
    await this.record(p, "create-webhook", `created ${hook.id}`, started);
    const { secret, ...webhook } = hook;
    return { secret, webhook };
  }

  async listWebhooks(p: Principal): Promise<WebhookView[]> {
    ApiKeyStore.require(p, "admin");
    return (await this.webhookDispatcher().store.list(p.tenant)).map(({ secret: _, ...view }) => view);
  }

  /** Delete a webhook of the caller's tenant: deliveries not yet attempted are not made. */
  async deleteWebhook(p: Principal, id: string): Promise<void> {
    ApiKeyStore.require(p, "admin");
    const webhooks = this.webhookDispatcher();
    await this.changeable();
    const started = Date.now();
    if (!(await webhooks.store.remove(p.tenant, id, new Date().toISOString())))
      throw new WebhookNotFoundError(`no webhook ${id} in this tenant`);
    webhooks.changed(p.tenant);
    await this.record(p, "delete-webhook", `deleted ${id}`, started);
  }

  /** The newest delivery attempts of one webhook of the caller's tenant, newest first. */
  async webhookDeliveries(p: Principal, id: string, limit = DELIVERY_LOG_PAGE): Promise<DeliveryAttempt[]> {
    ApiKeyStore.require(p, "admin");
    const webhooks = this.webhookDispatcher();
    if (!(await webhooks.store.list(p.tenant)).some((h) => h.id === id))
      throw new WebhookNotFoundError(`no webhook ${id} in this tenant`);
    return webhooks.store.attempts(p.tenant, id, Math.min(Math.max(1, limit), DELIVERY_LOG_PAGE));
  }

  /** Enrol one template per image; an image without exactly one usable face is refused, the rest go in. */
  async enroll(
    p: Principal,
    subjectId: string,
    images: Uint8Array[],
  ): Promise<{ templateIds: string[]; rejected: { index: number; reason: string }[] }> {
    ApiKeyStore.require(p, "enrol");
    if (images.length === 0) throw new BadRequestError("give at least one image");
    if (images.length > this.limits.enrolImages) {
      throw new TooLargeError(`${images.length} images; one enrolment takes at most ${this.limits.enrolImages}`);
    }
    for (const [i, bytes] of images.entries()) this.checkImage(bytes, `image ${i}`);
    await this.requireSubjectConsent(p.tenant, await this.gallery.findSubject(p.tenant, subjectId));
    await this.changeable();
    const started = Date.now();
    const accepted = [];
    const rejected: { index: number; reason: string }[] = [];
    for (const [index, bytes] of images.entries()) {
      try {
        const faces = await this.admitted(p, () => this.analyse("enroll", bytes, false));
        const face = FaceEngine.primary(faces);
        if (!face?.embedding) rejected.push({ index, reason: "no face found" });
        else if (face.quality.score < this.gallery.policy.minQuality)
          rejected.push({
            index,
            reason: `face quality ${face.quality.score.toFixed(2)} is below ${this.gallery.policy.minQuality}`,
          });
        // The aligned crop goes with it; the gallery keeps it only where crops are retained (for re-embedding).
        else accepted.push({ vector: face.embedding, quality: face.quality.score, crop: await encodePng(face.aligned) });
      } catch (error) {
        if (!(error instanceof ImageError)) throw error;
        rejected.push({ index, reason: `${error.code}: ${error.message}` });
      }
    }
    const templates = accepted.length ? await this.gallery.enrol(p.tenant, subjectId, this.modelId, accepted) : [];
    await this.record(
      p,
      "enroll",
      rejected.length ? `enrolled ${templates.length}, rejected ${rejected.length}` : `enrolled ${templates.length}`,
      started,
      { subjectId },
    );
    return { templateIds: templates.map((t) => t.id), rejected };
  }

  /**
   * Starts an active liveness check: the actions the person is to make, in order. Its frames and its
   * result must come within `ttlSeconds`, from a key of the same tenant.
   */
  async startChallenge(p: Principal, subjectId?: string): Promise<ChallengeView> {
    ApiKeyStore.require(p, "recognise");
    // A named subject must be there, with templates of this model, before anyone is asked to move.
    if (
      subjectId !== undefined &&
      this.gallery.templatesOf(p.tenant, (await this.gallery.findSubject(p.tenant, subjectId)).id).length === 0
    )
      throw new NotFoundError(`subject ${subjectId} has no templates to check the answer against`);
    const now = Date.now();
    const c: Challenge = {
      id: randomUUID(),
      tenant: p.tenant,
      ...(subjectId !== undefined ? { subjectId } : {}),
      actions: drawActions(this.challenge),
      expiresAt: now + this.challenge.ttlSeconds * 1000,
      frames: [],
    };
    if (!(await this.challenges.insert(c, this.challenge.maxOpen, now)))
      throw new RateLimitError(`${this.challenge.maxOpen} challenges are open; retry shortly`, 1);
    await this.record(p, "liveness-challenge-start", `asked ${c.actions.join(",")}`, now, subjectId ? { subjectId } : {}, c.id);
    return {
      id: c.id,
      actions: c.actions,
      prompts: c.actions.map((a) => CHALLENGE_PROMPTS[a]),
      expiresAt: new Date(c.expiresAt).toISOString(),
      maxFrames: this.challenge.maxFrames,
    };
  }

  /** What a caller is told of a challenge that is not open to it: it never says which of these it was. */
  private static challengeGone(id: string): NotFoundError {
    return new NotFoundError(`no open challenge ${id.slice(0, 64)} (it expired, was judged, or is not this tenant's)`);
  }

  /**
   * One camera frame of a challenge: its faces are found and the pose of a lone face kept (never the
   * frame). Says what the frames so far show, so a client can stop once every action is seen.
   */
  async challengeFrame(p: Principal, id: string, image: Uint8Array): Promise<ChallengeFrameView> {
    ApiKeyStore.require(p, "recognise");
    this.checkImage(image, "the frame");
    const open = await this.challenges.get(p.tenant, id, Date.now());
    if (!open) throw Recognition.challengeGone(id);
    const observation = await this.admitted(p, async (): Promise<FrameObservation> => {
      const img = await decodeImage(image);
      const faces = await this.engine.poses(img);
      const only = faces.length === 1 ? faces[0] : undefined;
      if (!only) return { faces: faces.length };
      // With a subject named, each lone face is compared with them now; only the score is kept.
      const match = open.subjectId
        ? await this.gallery.verify(p.tenant, this.modelId, open.subjectId, await this.engine.embedAt(img, only.landmarks))
        : undefined;
      return {
        faces: 1,
        box: only.box,
        pose: only.pose,
        ...(match ? { match: { score: match.score, threshold: match.threshold } } : {}),
      };
    });
    const { maxFrames } = this.challenge;
    const added = await this.challenges.addFrame(p.tenant, id, observation, maxFrames, Date.now());
    if (added === "gone") throw Recognition.challengeGone(id);
    if (added === "full") throw new TooLargeError(`a challenge takes at most ${maxFrames} frames; ask for its result`);
    const observed = observedActions(added.frames, this.challenge);
    return {
      frame: added.frames.length,
      faces: observation.faces,
      ...(observation.pose ? { pose: observation.pose } : {}),
      observed,
      complete: added.actions.every((a) => observed.includes(a)),
    };
  }

  /** Judges a challenge from its frames and closes it; the decision is audited, a refusal as rejected-spoof. */
  async challengeResult(p: Principal, id: string): Promise<ChallengeResult> {
    ApiKeyStore.require(p, "recognise");
    const started = Date.now();
    const c = await this.challenges.take(p.tenant, id, started);
    if (!c) throw Recognition.challengeGone(id);
    const verdict = judgeChallenge(c.actions, c.frames, this.challenge);
    const agreement = c.subjectId ? subjectAgreement(c.frames, this.challenge) : undefined;
    const subject = c.subjectId
      ? { subjectId: c.subjectId, ...(agreement ?? { match: false, score: 0, threshold: 0, frames: 0 }) }
      : undefined;
    const decision = !verdict.live
      ? `rejected-spoof:${verdict.reason}`
      : subject
        ? subject.match
          ? "live:match"
          : "live:no-match"
        : "live";
    const requestId = await this.record(
      p,
      "liveness-challenge",
      decision,
      started,
      subject ? { subjectId: subject.subjectId, scores: [subject.score] } : {},
    );
    return { id, actions: c.actions, ...verdict, ...(subject ? { subject } : {}), requestId };
  }

  /** 1:1: does the main face of the image belong to the subject, or to the main face of a second image. */
  async verify(
    p: Principal,
    image: Uint8Array,
    against: { subjectId: string } | { otherImage: Uint8Array },
  ): Promise<{ match: boolean; score: number; threshold: number; requestId: string }> {
    ApiKeyStore.require(p, "recognise");
    this.checkImage(image);
    if ("otherImage" in against) this.checkImage(against.otherImage, "the other image");
    const started = Date.now();
    const probe = await this.admitted(p, () => this.mainFace(image));
    let result: { match: boolean; score: number; threshold: number };
    if ("subjectId" in against) {
      await this.gallery.findSubject(p.tenant, against.subjectId);
      // The tenant's threshold, where its policy targets another false-match rate.
      await this.privacy?.policies.current(p.tenant);
      result = await this.gallery.verify(p.tenant, this.modelId, against.subjectId, probe);
    } else {
      const other = await this.admitted(p, () => this.mainFace(against.otherImage));
      const score = cosine(probe, other);
      const threshold = this.engine.embedder.model.thresholds?.verify ?? this.gallery.thresholdOf(p.tenant, this.modelId, "");
      result = { match: score >= threshold, score, threshold };
    }
    const subjectId = "subjectId" in against ? against.subjectId : undefined;
    const requestId = await this.record(p, "verify", result.match ? "match" : "no-match", started, {
      scores: [result.score],
      ...(subjectId ? { subjectId } : {}),
    });
    return { ...result, requestId };
  }

  /**
   * Corrective feedback on a decision that named `subjectId`, given with the image it was made on:
   * `wrong` keeps the face as "not this subject" (a later probe at least as close to it as to the
   * subject does not match it; erased with the subject); `right` adds the face as a template when it
   * passes the quality floor and matches the subject now. Of several faces, the one most similar to
   * the subject is the one the decision was about. Enrol scope; audited under `decisionId` when given.
   */
  async feedback(
    p: Principal,
    request: { subjectId: string; verdict: "wrong" | "right"; image: Uint8Array; decisionId?: string },
  ): Promise<{ verdict: "wrong" | "right"; subjectId: string; templateId: string; score: number; requestId: string }> {
    ApiKeyStore.require(p, "enrol");
    if (request.verdict !== "wrong" && request.verdict !== "right") throw new BadRequestError('verdict is "wrong" or "right"');
    if (request.decisionId !== undefined && request.decisionId.length > 200)
      throw new BadRequestError("decisionId is at most 200 characters");
    this.checkImage(request.image);
    await this.gallery.findSubject(p.tenant, request.subjectId);
    await this.changeable();
    const started = Date.now();
    const faces = (await this.admitted(p, () => this.analyse("feedback", request.image, false))).filter((f) => f.embedding);
    if (faces.length === 0) throw new ImageError("NO_FACE", "no face was found in the image");
    const scored = await Promise.all(
      faces.map(async (face) => ({
        face,
        ...(await this.gallery.verify(p.tenant, this.modelId, request.subjectId, face.embedding as Float32Array)),
      })),
    );
    const best = scored.sort((a, b) => b.score - a.score)[0] as (typeof scored)[number];
    const item = { vector: best.face.embedding as Float32Array, quality: best.face.quality.score };
    let templateId: string;
    if (request.verdict === "wrong") {
      templateId = (await this.gallery.addNegative(p.tenant, request.subjectId, this.modelId, item)).id;
    } else {
      if (item.quality < this.gallery.policy.minQuality)
        throw new BadRequestError(
          `the face's quality ${item.quality.toFixed(2)} is under the floor ${this.gallery.policy.minQuality}`,
        );
      if (!best.match)
        throw new BadRequestError(
          `the face does not match the subject now (score ${best.score.toFixed(3)}, threshold ${best.threshold.toFixed(3)}); enrol it instead if it is them`,
        );
      templateId = ((await this.gallery.enrol(p.tenant, request.subjectId, this.modelId, [item]))[0] as { id: string }).id;
    }
    const requestId = await this.record(
      p,
      `feedback-${request.verdict}`,
      request.verdict === "wrong" ? `negative ${templateId}` : `template ${templateId}`,
      started,
      { subjectId: request.subjectId, scores: [best.score] },
      request.decisionId ?? randomUUID(),
    );
    return { verdict: request.verdict, subjectId: request.subjectId, templateId, score: best.score, requestId };
  }

  private async mainFace(image: Uint8Array): Promise<Float32Array> {
    const face = FaceEngine.primary(await this.analyse("verify", image, false));
    if (!face?.embedding) throw new ImageError("NO_FACE", "no face was found in the image");
    return face.embedding;
  }

  /** Follow the tenant's match decisions as they are made; returns the function that stops following. */
  async watchMatches(p: Principal, cameras: readonly string[], listener: (event: MatchEvent) => void): Promise<() => void> {
    ApiKeyStore.require(p, "recognise");
    if (!this.feed) throw new UnavailableError("this gateway has no match feed");
    if (cameras.length > MAX_CAMERAS) throw new BadRequestError(`follow at most ${MAX_CAMERAS} cameras in one stream`);
    for (const camera of cameras) this.checkCamera(camera);
    const open = this.streams.get(p.keyId) ?? 0;
    if (open >= this.limits.streamsPerKey) {
      throw new RateLimitError(`this key already has ${open} match streams open; close one first`, 1);
    }
    this.streams.set(p.keyId, open + 1);
    await this.record(p, "watch-matches", "started", Date.now());
    const unsubscribe = this.feed.subscribe(p.tenant, cameras, listener);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      const left = (this.streams.get(p.keyId) ?? 1) - 1;
      if (left > 0) this.streams.set(p.keyId, left);
      else this.streams.delete(p.keyId);
    };
  }

  /** A stream whose reader fell behind by more than the backlog limit was ended: audited as a refusal. */
  async streamDropped(p: Principal, requestId: string): Promise<void> {
    await this.refused(p, "watch-matches", "dropped-slow-reader", requestId);
  }

  /** A camera name is a NATS subject token in distributed mode, so the same rule holds everywhere. */
  private checkCamera(camera: string): void {
    try {
      token("camera", camera);
    } catch (error) {
      throw new BadRequestError((error as Error).message);
    }
  }

  /**
   * Start a long job for the caller's tenant. Bulk enrolment reads only below the import folder the
   * operator configured (FACEREC_IMPORT_DIR), never anywhere a request names.
   */
  async addJob(p: Principal, request: JobRequest, idempotencyKey?: string): Promise<JobView> {
    ApiKeyStore.require(p, request.kind === "erase" ? "enrol" : "admin");
    if (request.kind === "enrol-folder" && !request.folder) throw new BadRequestError("an enrol-folder job needs folder");
    if (request.kind === "erase" && !request.subjectId) throw new BadRequestError("an erase job needs subjectId");
    if (request.kind === "enrol-folder") {
      await this.requireConsent(p.tenant, "enrol a folder (a folder carries no consent records: enrol each person with one)");
    }
    if (!this.jobs) throw new UnavailableError("jobs need Redis: start the gateway with REDIS_URL");
    await this.changeable();
    const started = Date.now();
    const tenant = p.tenant;
    let spec: JobSpec;
    if (request.kind === "enrol-folder") {
      let folder: string;
      try {
        folder = await insideImportRoot(this.jobs.importRoot, request.folder as string);
      } catch (error) {
        if (error instanceof OutsideImportError) throw new BadRequestError(error.message);
        throw error;
      }
      spec = { kind: "enrol-folder", folder, tenant };
    } else if (request.kind === "erase") spec = { kind: "erase", subjectId: request.subjectId as string, tenant };
    else spec = { kind: request.kind, tenant };
    if (spec.kind === "erase") await this.gallery.findSubject(p.tenant, spec.subjectId);
    if (idempotencyKey !== undefined && !isToken(idempotencyKey)) {
      throw new BadRequestError("an idempotency key is 1-64 letters, digits, _ or -");
    }
    const job = await this.jobs.queue.add(spec, idempotencyKey);
    await this.record(
      p,
      `job:${spec.kind}`,
      "queued",
      started,
      spec.kind === "erase" ? { subjectId: spec.subjectId } : {},
      job.id,
    );
    return job;
  }

  async getJob(p: Principal, id: string): Promise<JobView> {
    ApiKeyStore.require(p, "recognise");
    if (!this.jobs) throw new UnavailableError("jobs need Redis: start the gateway with REDIS_URL");
    const job = await this.jobs.queue.get(p.tenant, id);
    if (!job) throw new NotFoundError(`no job ${id} in this tenant`);
    return job;
  }

  /** The caller's tenant's audit entries: its API calls, camera decisions and jobs, from every replica. */
  queryAudit(p: Principal, q: Omit<AuditQuery, "tenant">): Promise<AuditPage> {
    ApiKeyStore.require(p, "audit");
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
    return this.audit.query({ ...q, tenant: p.tenant });
  }

  /** Recompute the caller's tenant's hash chain. */
  verifyAudit(p: Principal): Promise<AuditVerification> {
    ApiKeyStore.require(p, "audit");
    return this.audit.verify(p.tenant);
  }

  /**
   * 1:N on every face in the image. Each face's decision is also published to the match feed as coming
   * from `camera`, so WatchMatches sees API identifications as well as the camera pipeline's.
   */
  /**
   * The liveness policy for a request: the camera's where the deployment gives it one, else the
   * tenant's policy's, else the deployment's; or a stricter one asked for.
   */
  async livenessFor(p: Principal, camera: string, asked?: string): Promise<LivenessPolicy> {
    const tenant = (await this.privacy?.policies.current(p.tenant))?.policy.liveness ?? null;
    const configured = this.liveness.cameras[camera] ?? tenant ?? this.liveness.policy;
    if (asked === undefined || asked === "") return configured;
    if (!LIVENESS_POLICIES.includes(asked as LivenessPolicy)) {
      throw new BadRequestError(`liveness is ${LIVENESS_POLICIES.join(", ")}, not "${asked.slice(0, 40)}"`);
    }
    const rank = (x: string) => LIVENESS_POLICIES.indexOf(x as LivenessPolicy);
    if (rank(asked) < rank(configured) && !p.scopes.includes("admin")) {
      throw new ForbiddenError(
        `liveness "${asked}" is looser than this camera's "${configured}": only an admin key may ask for it`,
      );
    }
    return asked as LivenessPolicy;
  }

  async identify(
    p: Principal,
    image: Uint8Array,
    camera = "api",
    liveness?: string,
  ): Promise<{ faces: FaceResult[]; requestId: string; liveness: LivenessPolicy }> {
    ApiKeyStore.require(p, "recognise");
    this.checkCamera(camera);
    this.checkImage(image);
    // The tenant's policy names the cameras that may identify (and sets its threshold for the decision).
    if (this.privacy && !(await this.privacy.policies.mayIdentify(p.tenant, camera))) {
      throw new ForbiddenError(`this tenant's policy does not allow identification at camera ${camera}`);
    }
    const policy = await this.livenessFor(p, camera, liveness);
    const started = Date.now();
    const faces = await this.admitted(p, () => this.analyse("identify", image, policy !== "off"));
    const requestId = randomUUID();
    const results: FaceResult[] = [];
    for (const face of faces) {
      // Advisory: the score is reported with the face, but it does not gate the decision.
      const d = await this.gallery.identify(p.tenant, this.modelId, face.embedding as Float32Array, {
        quality: face.quality.score,
        ...(policy === "required" && face.liveness !== undefined ? { liveness: face.liveness } : {}),
      });
      const result: FaceResult = {
        box: face.box,
        outcome: d.outcome,
        quality: face.quality.score,
        ...(face.liveness !== undefined ? { liveness: face.liveness } : {}),
        candidates: d.candidates.map((c) => ({ subjectId: c.subject, score: c.score, threshold: c.threshold })),
      };
      if (d.outcome === "match") Object.assign(result, { subjectId: d.subject, score: d.score, threshold: d.threshold });
      if (d.outcome === "unknown" && d.score !== null) Object.assign(result, { score: d.score, threshold: d.threshold });
      results.push(result);
      const event = matchEventOf(d, {
        cropId: `${requestId}:${results.length - 1}`,
        tenant: p.tenant,
        camera,
        modelId: this.modelId,
        frameTime: new Date(started),
        box: face.box,
        quality: face.quality.score,
        ...(face.liveness !== undefined ? { liveness: face.liveness } : {}),
        nameOf: (id) => this.gallery.peekSubject(p.tenant, id)?.name,
      });
      if (this.review) {
        await queueForReview(this.review.store, this.review.policy, result, {
          id: event.cropId,
          tenant: p.tenant,
          camera,
          model: this.modelId,
          time: new Date(started).toISOString(),
          vector: face.embedding as Float32Array,
          quality: face.quality.score,
          ...(this.gallery.retainsCrops ? { crop: await encodePng(face.aligned) } : {}),
        });
      }
      this.feed?.publish(event);
      this.notify?.(event);
      this.webhooks?.notify(event);
      await this.record(
        p,
        "identify",
        d.outcome,
        started,
        {
          ...(result.subjectId ? { subjectId: result.subjectId } : {}),
          ...(result.score !== undefined ? { scores: [result.score] } : {}),
        },
        requestId,
      );
    }
    if (faces.length === 0) await this.record(p, "identify", "no-face", started, {}, requestId);
    return { faces: results, requestId, liveness: policy };
  }
}
