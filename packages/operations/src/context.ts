import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { AuditTrail } from "@facerec/audit";
import { ApiKeyStore, type Principal, type Scope } from "@facerec/auth";
import { token } from "@facerec/common";
import type { MatchEvent } from "@facerec/contracts";
import type { ConsentRecord, Gallery, ReviewStore, Subject } from "@facerec/gallery";
import type { WebhookDispatcher } from "@facerec/notify";
import type { Jobs } from "@facerec/pipeline";
import type { LivenessPolicy } from "@facerec/privacy";
import {
  type ChallengeStore,
  type ChangeJournal,
  DecisionAftermath,
  type ReviewPolicy,
  type TenantPolicies,
} from "@facerec/product";
import { decodeImage, type Face, type FaceEngine } from "@facerec/vision";
import { Admission } from "./admission.js";
import type { ChallengeOptions } from "./challenge.js";
import { OPERATIONS, type OperationName, type OperationSpec } from "./declarations.js";
import { BadRequestError, ConsentRequiredError, TooLargeError, UnavailableError } from "./errors.js";
import { DEFAULT_LIMITS, type Limits } from "./limits.js";
import type { MatchFeed } from "./match-feed.js";

/** Where this gateway's decisions are announced (MQTT), and how that is going, for the status. */
export interface Notifier {
  notify(event: MatchEvent): void;
  readonly connected: boolean;
  readonly published: number;
  readonly dropped: number;
}

export interface RecognitionOptions {
  /** Where WatchMatches and identify's events go: the matchers' NATS feed, or one in this process. */
  feed?: MatchFeed;
  /** The job queue on Redis and the folder enrol-folder jobs may read. */
  jobs?: { queue: Jobs; importRoot: string };
  /** Overrides of DEFAULT_LIMITS. */
  limits?: Partial<Limits>;
  /** Told of every decision this gateway makes (MQTT notifications); the matchers notify their own. */
  notifier?: Notifier;
  /** The tenants' webhooks: this gateway's decisions go to them, and the webhook API manages them. */
  webhooks?: WebhookDispatcher;
  /** The review queue: which unknown faces it keeps (opt-in per camera), and where. */
  review?: { store: ReviewStore; policy: ReviewPolicy };
  /**
   * The tenants' privacy policies, and the folder of evaluation outputs the transparency notice
   * quotes. Without it every tenant has the default policy (no consent required) and the policy API
   * answers 503.
   */
  privacy?: { policies: TenantPolicies; evidenceDir: string; auditRetentionFloorDays?: number };
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
  /**
   * Runs a change and its audit entry in one transaction of the system of record, where it has them
   * (ProductState.atomic). @default the work as it is
   */
  atomic?: <T>(work: () => Promise<T>) => Promise<T>;
  /**
   * Whether the change the caller runs in holds writes that a failure cannot take back (local files:
   * they commit when it ends, ProductState.heldWrites). @default never (PostgreSQL rolls back)
   */
  heldWrites?: () => boolean;
  /** Erasures in flight, where the stores have no transaction across them (local files). */
  journal?: ChangeJournal;
}

/** What an audit entry of a decision may add: the subject it is about and its scores. */
export type AuditExtra = { subjectId?: string; scores?: number[] };

/** One running operation: who called it, what was declared of it, and its audit trail. */
export interface Call {
  readonly principal: Principal;
  readonly tenant: string;
  readonly spec: OperationSpec;
  /** When it started (ms since the epoch): audit entries carry the latency from here. */
  readonly started: number;
  /**
   * Append a decision under the operation's audit word (`<word>-<qualifier>` where the decision has
   * kinds, as feedback's `wrong` and `right`); resolves with the entry's request id.
   */
  record(
    decision: string,
    extra?: AuditExtra,
    options?: { requestId?: string; qualifier?: string; dedupeKey?: string },
  ): Promise<string>;
  /** A scope the request's arguments need beyond the declared one (a looser liveness policy, an admin job). */
  require(scope: Scope): void;
  /** Image work under admission control: bounded in flight, per process and per tenant. Image operations only. */
  admitted<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Run a change and its audit entry so that both are stored or neither (one PostgreSQL transaction).
   * A changing operation's entry is refused outside it, so no unit can forget it.
   */
  atomic<T>(work: () => Promise<T>): Promise<T>;
}

/** An operation as the transports call it: the caller, then its arguments. */
export type Operation<A extends unknown[], R> = (p: Principal, ...args: A) => Promise<R>;

/**
 * What every operation unit shares: the engine, the state, the limits, and the rules that hold for
 * every operation (scope, audit, admission, input checks). Units declare their operations through
 * `operation`, which applies the declaration in OPERATIONS before the implementation runs.
 */
export class OperationContext {
  readonly limits: Limits;
  readonly options: RecognitionOptions;
  readonly liveness: { policy: LivenessPolicy; cameras: Record<string, LivenessPolicy> };
  /** What follows each face's decision: the same as the matcher's (audit, review queue, MQTT, webhooks). */
  readonly aftermath: DecisionAftermath;
  /** Called with each image's engine time, for metrics. */
  onEngineTime?: (operation: string, seconds: number) => void;
  private readonly admission: Admission;
  /** Set while a change's atomic scope runs: its audit entry may be written there only. */
  private readonly inChange = new AsyncLocalStorage<boolean>();
  /** One transaction around a change and its audit entry (PostgreSQL); files run the work as it is. */
  private readonly atomic: <T>(work: () => Promise<T>) => Promise<T>;
  private readonly bound = new Set<OperationName>();
  private health: { at: number; state: Promise<{ writable: boolean; reason?: string }> } | undefined;

  constructor(
    readonly engine: FaceEngine,
    readonly gallery: Gallery,
    readonly audit: AuditTrail,
    readonly keys: ApiKeyStore,
    options: RecognitionOptions,
  ) {
    this.options = options;
    this.atomic = options.atomic ?? ((work) => work());
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.liveness = { policy: options.liveness?.policy ?? "required", cameras: options.liveness?.cameras ?? {} };
    this.aftermath = new DecisionAftermath({
      audit,
      ...(options.review ? { review: options.review } : {}),
      ...(options.notifier ? { mqtt: (event: MatchEvent) => options.notifier?.notify(event) } : {}),
      ...(options.webhooks ? { webhooks: options.webhooks } : {}),
    });
    this.admission = new Admission({
      workers: this.limits.imageWorkers,
      queue: this.limits.imageQueue,
      tenantShare: this.limits.tenantImageShare,
    });
  }

  get modelId(): string {
    return this.engine.embedder.id;
  }

  /**
   * The operation `name` as the transports call it: the declared scope is required, a change is refused
   * while its audit entry could not be written, and the implementation gets its Call. Each declared
   * operation is implemented once.
   */
  operation<A extends unknown[], R>(name: OperationName, impl: (call: Call, ...args: A) => Promise<R>): Operation<A, R> {
    if (this.bound.has(name)) throw new Error(`operation ${name} is implemented twice`);
    this.bound.add(name);
    const spec = OPERATIONS[name];
    return async (p, ...args) => {
      ApiKeyStore.require(p, spec.scope);
      if (!spec.changes) return impl(this.call(p, spec), ...args);
      await this.changeable();
      // A change runs whole in its transaction, unless it prepares (images, a host to resolve) first
      // and opens its transaction (call.atomic) only around the change and its audit entry.
      const call = this.call(p, spec);
      return spec.prepares ? impl(call, ...args) : call.atomic(() => impl(call, ...args));
    };
  }

  /** The declared operations no unit implements (none, once every unit is built). */
  unbound(): OperationName[] {
    return (Object.keys(OPERATIONS) as OperationName[]).filter((n) => !this.bound.has(n));
  }

  private call(p: Principal, spec: OperationSpec): Call {
    const started = Date.now();
    const call: Call = {
      principal: p,
      tenant: p.tenant,
      spec,
      started,
      record: async (decision, extra = {}, options = {}) => {
        if (spec.changes && !this.inChange.getStore())
          throw new Error(`${spec.audit}: a change's audit entry is written inside its atomic scope`);
        // A test hook: the process dies between a change and its entry, as a crash would.
        if (spec.changes && killBeforeAudit === spec.audit) process.kill(process.pid, "SIGKILL");
        const word = options.qualifier ? `${spec.audit}-${options.qualifier}` : spec.audit;
        return this.record(p, word, decision, started, extra, options.requestId, options.dedupeKey);
      },
      atomic: (work) =>
        this.atomic(() =>
          this.inChange.run(true, async () => {
            try {
              return await work();
            } catch (error) {
              // Part of the change is in the stores and stays (local files): its entry says so.
              if (spec.changes && this.options.heldWrites?.()) await call.record(`failed part way: ${(error as Error).message}`);
              throw error;
            }
          }),
        ),
      require: (scope) => ApiKeyStore.require(p, scope),
      admitted: (work) => {
        if (spec.quota !== "image") throw new Error(`${spec.audit} is not declared an image operation`);
        return this.admission.run(p.tenant, work);
      },
    };
    return call;
  }

  async record(
    p: Principal,
    operation: string,
    decision: string,
    started: number,
    extra: AuditExtra = {},
    requestId: string = randomUUID(),
    dedupeKey?: string,
  ): Promise<string> {
    await this.audit.append(
      {
        tenant: p.tenant,
        keyId: p.keyId,
        operation,
        decision,
        requestId,
        modelId: this.modelId,
        latencyMs: Date.now() - started,
        ...extra,
      },
      dedupeKey ? { dedupeKey } : undefined,
    );
    return requestId;
  }

  /** Whether the audit trail can take entries now (checked at most once a second): readiness reports it. */
  auditHealth(): Promise<{ writable: boolean; reason?: string }> {
    if (!this.health || Date.now() - this.health.at > 1000) this.health = { at: Date.now(), state: this.audit.health() };
    return this.health.state;
  }

  /** A change is refused before it is made when its audit entry could not be written. */
  async changeable(): Promise<void> {
    const { writable, reason } = await this.auditHealth();
    if (!writable)
      throw new UnavailableError(`the audit trail cannot be written (${reason}); no change is made without its entry`);
  }

  /** Decode an image and find its faces (with liveness scores where asked); engine time goes to metrics. */
  async analyse(operation: string, image: Uint8Array, liveness: boolean): Promise<Face[]> {
    const decoded = await decodeImage(image);
    const started = performance.now();
    const faces = await this.engine.analyse(decoded, { liveness });
    this.onEngineTime?.(operation, (performance.now() - started) / 1000);
    return faces;
  }

  /** An image within the size limit, before any work is spent on it. */
  checkImage(bytes: Uint8Array, what = "the image"): void {
    if (bytes.byteLength > this.limits.imageBytes) {
      throw new TooLargeError(`${what} is ${bytes.byteLength} bytes; the limit is ${this.limits.imageBytes}`);
    }
  }

  /** A subject's name and metadata within their limits. */
  checkSubject(change: { name?: string; metadata?: Record<string, string> }): void {
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

  /**
   * An id a caller names (a subject, key, webhook, job, cluster, face, challenge): 1-100 characters, as
   * the REST schemas say, so that gRPC holds to it too and no error message echoes more of it.
   */
  checkId(what: string, id: string): void {
    if (typeof id !== "string" || id.length < 1 || id.length > MAX_ID)
      throw new BadRequestError(`${what} must be 1-${MAX_ID} characters (got ${String(id?.length ?? 0)})`);
  }

  /** A camera name is a NATS subject token in distributed mode, so the same rule holds everywhere. */
  checkCamera(camera: string): void {
    try {
      token("camera", camera);
    } catch (error) {
      throw new BadRequestError((error as Error).message);
    }
  }

  policies(): TenantPolicies {
    if (!this.options.privacy) throw new UnavailableError("tenant policies are not configured on this gateway");
    return this.options.privacy.policies;
  }

  /** Refuse `what` when the tenant's policy requires a consent record and none is at hand. */
  async requireConsent(tenant: string, what: string): Promise<void> {
    if (!this.options.privacy) return;
    const { policy } = await this.options.privacy.policies.current(tenant);
    if (policy.consent.required) {
      throw new ConsentRequiredError(
        `this tenant's policy requires a consent record to ${what}: give consent {basis, givenAt, noticeVersion, evidenceRef}`,
      );
    }
  }

  /** Enrolment into a subject: under a consent-required policy, the subject must carry consent. */
  async requireSubjectConsent(tenant: string, subject: Subject): Promise<void> {
    if (!subject.consent)
      await this.requireConsent(tenant, `enrol into subject ${subject.id} (it has none; record it with an update)`);
  }

  reviewStore(): ReviewStore {
    if (!this.options.review) throw new UnavailableError("the review queue is not configured on this gateway");
    return this.options.review.store;
  }

  webhooks(): WebhookDispatcher {
    if (!this.options.webhooks) throw new UnavailableError("webhooks are not configured on this gateway");
    return this.options.webhooks;
  }

  jobs(): { queue: Jobs; importRoot: string } {
    if (!this.options.jobs) throw new UnavailableError("jobs need Redis: start the gateway with REDIS_URL");
    return this.options.jobs;
  }
}

/**
 * A test hook: with NODE_ENV=test, the process dies between the change of the operation whose audit
 * word FACEREC_TEST_KILL_BEFORE_AUDIT names and that change's entry, as a crash would
 * (tests/pipeline/atomic.test.ts). Ignored anywhere else, so a stray setting cannot kill a gateway.
 */
const killBeforeAudit = process.env.NODE_ENV === "test" ? process.env.FACEREC_TEST_KILL_BEFORE_AUDIT : undefined;

/** The longest id a caller may name; the REST schemas' entityId says the same. */
const MAX_ID = 100;

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
