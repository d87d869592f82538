import type { AuditTrail } from "@facerec/audit";
import { ApiKeyStore, AuthError, type Principal } from "@facerec/auth";
import type { Gallery } from "@facerec/gallery";
import type { PersonalDataRegistry } from "@facerec/privacy";
import { MemoryChallengeStore, productPersonalData } from "@facerec/product";
import type { FaceEngine } from "@facerec/vision";
import { AuthGuard } from "./auth-guard.js";
import { OperationContext, type RecognitionOptions } from "./context.js";
import { OPERATIONS, type OperationName } from "./declarations.js";
import { RateLimitError } from "./errors.js";
import type { Limits } from "./limits.js";
import { RateLimiter } from "./rate-limit.js";
import { auditOperations } from "./units/audit.js";
import { challengeOperations } from "./units/challenges.js";
import { decisionOperations } from "./units/decisions.js";
import { jobOperations } from "./units/jobs.js";
import { keyOperations } from "./units/keys.js";
import { privacyOperations } from "./units/privacy.js";
import { reviewOperations } from "./units/review.js";
import { streamOperations } from "./units/streams.js";
import { subjectOperations } from "./units/subjects.js";
import { webhookOperations } from "./units/webhooks.js";
import { UploadBudget } from "./upload-budget.js";

/** Every unit's operations together, as Recognition exposes them. */
type Units = ReturnType<typeof subjectOperations> &
  ReturnType<typeof privacyOperations> &
  ReturnType<typeof keyOperations> &
  ReturnType<typeof webhookOperations> &
  ReturnType<typeof reviewOperations> &
  ReturnType<typeof challengeOperations> &
  ReturnType<typeof decisionOperations> &
  ReturnType<typeof streamOperations> &
  ReturnType<typeof jobOperations> &
  ReturnType<typeof auditOperations>;

// The class takes the units' operations as its own members (assigned in the constructor).
export interface Recognition extends Units {}

/**
 * The product's operations, independent of transport: REST and gRPC both call these. Each operation is
 * declared once in OPERATIONS (scope, quota class, audit word, whether it changes state) and
 * implemented once in its area's unit over the shared OperationContext; `admit` applies the
 * declaration to a caller before any request body is read. Every decision, refusals included, is
 * appended to the audit trail with the caller's tenant and key.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above
export class Recognition {
  readonly limits: Limits;
  /** Every store that keeps anything about a person: erasure and subject access walk it. */
  readonly personalData: PersonalDataRegistry;
  private readonly ctx: OperationContext;
  private readonly limiter: RateLimiter | undefined;
  private readonly guard: AuthGuard;
  /** Request bodies in flight, per process and per tenant, for both transports. */
  readonly uploads: UploadBudget;

  constructor(
    engine: FaceEngine,
    private readonly gallery: Gallery,
    private readonly audit: AuditTrail,
    private readonly keys: ApiKeyStore,
    options: RecognitionOptions & { personalData?: PersonalDataRegistry } = {},
  ) {
    const { personalData, ...rest } = options;
    const challenges = rest.challenge?.store ?? new MemoryChallengeStore();
    this.ctx = new OperationContext(engine, gallery, audit, keys, {
      ...rest,
      challenge: { ...rest.challenge, store: challenges },
    });
    this.limits = this.ctx.limits;
    this.personalData =
      personalData ??
      productPersonalData({
        gallery,
        challenges,
        ...(rest.review ? { review: rest.review.store } : {}),
        ...(rest.webhooks ? { webhooks: rest.webhooks.store } : {}),
      });
    this.limiter = this.limits.ratePerMinute > 0 ? new RateLimiter(this.limits.ratePerMinute) : undefined;
    this.guard = new AuthGuard(this.limits.authFailuresPerMinute, audit);
    this.uploads = new UploadBudget({ process: this.limits.uploadBytesInFlight, tenant: this.limits.tenantUploadBytes });
    Object.assign(
      this,
      subjectOperations(this.ctx, this.personalData),
      privacyOperations(this.ctx, this.personalData),
      keyOperations(this.ctx),
      webhookOperations(this.ctx),
      reviewOperations(this.ctx),
      challengeOperations(this.ctx),
      decisionOperations(this.ctx),
      streamOperations(this.ctx),
      jobOperations(this.ctx),
      auditOperations(this.ctx),
    );
    const missing = this.ctx.unbound();
    if (missing.length) throw new Error(`declared operations without an implementation: ${missing.join(", ")}`);
  }

  /**
   * The caller a presented key stands for, within its rate limit and holding the operation's declared
   * scope; `client` is its address. The key is always checked: failed authentications are limited and
   * audited by AuthGuard without ever refusing a valid key. A refusal of a known caller is audited
   * under the operation's word before the error goes on.
   */
  async admit(key: string | undefined, operation: OperationName, requestId: string, client = "-"): Promise<Principal> {
    let p: Principal;
    try {
      p = await this.keys.authenticate(key);
    } catch (error) {
      if (error instanceof AuthError) throw await this.guard.failed(key, client, OPERATIONS[operation].audit, error, requestId);
      throw error;
    }
    const allowed = this.limiter?.take(p.keyId) ?? { ok: true };
    if (!allowed.ok) {
      await this.refused(p, operation, "rejected-rate-limit", requestId);
      throw new RateLimitError(`rate limit exceeded; retry in ${allowed.retryAfterSeconds} s`, allowed.retryAfterSeconds);
    }
    try {
      ApiKeyStore.require(p, OPERATIONS[operation].scope);
    } catch (error) {
      await this.refused(p, operation, "rejected:PERMISSION_DENIED", requestId);
      throw error;
    }
    return p;
  }

  /** Audit a refused request of a known caller (bad input, not found, forbidden, overload) under the operation's word. */
  async refused(p: Principal, operation: OperationName, decision: string, requestId: string): Promise<void> {
    await this.audit.append({ tenant: p.tenant, keyId: p.keyId, operation: OPERATIONS[operation].audit, decision, requestId });
  }

  /** Audit the failed authentications still being counted. */
  close(): Promise<void> {
    return this.guard.close();
  }

  /** Whether the audit trail can take entries now (checked at most once a second): readiness reports it. */
  auditHealth(): Promise<{ writable: boolean; reason?: string }> {
    return this.ctx.auditHealth();
  }

  /** Called with each image's engine time, for metrics. */
  set onEngineTime(listener: (operation: string, seconds: number) => void) {
    this.ctx.onEngineTime = listener;
  }

  get modelId(): string {
    return this.ctx.modelId;
  }

  /** How much the gallery holds (for metrics). */
  galleryStats(): { subjects: number; templates: number } {
    return this.gallery.stats();
  }

  /** Jobs by state, for metrics; empty without Redis. */
  async jobCounts(): Promise<Record<string, number>> {
    return this.ctx.options.jobs ? this.ctx.options.jobs.queue.counts() : {};
  }
}
