import type { AuditTrail } from "@facerec/audit";
import { type AuthError, keyIdOf } from "@facerec/auth";
import { RateLimitError } from "./errors.js";
import { RateLimiter } from "./rate-limit.js";

/**
 * Failure tallies held between flushes at most; past it the oldest is flushed early. @default 10,000:
 * a minute of failures from that many addresses or key ids, a few MB
 */
const MAX_TALLIES = 10_000;

const MINUTE = 60_000;

interface Tally {
  minute: number;
  /** Failures after the first of the minute (the first was audited on its own). */
  more: number;
  operation: string;
  reason: string;
}

/**
 * Failed authentications, limited and audited so that they protect valid keys instead of locking
 * them out. A key is always checked first: a valid key passes whatever failed before it. Failures
 * count against the presented key's id when it names a key that exists, else against the client address
 * (which is the proxy's unless the proxy is trusted: FACEREC_TRUSTED_PROXIES); past `perMinute` of
 * them, further failures of that key id or address are answered 429 instead of 401. Each key id or
 * address gets one audit entry for its first failure in a minute and one with the count of the rest,
 * so an unauthenticated flood cannot fill the trail: 300 bad requests a second write two entries.
 */
export class AuthGuard {
  private readonly failures: RateLimiter;
  private readonly tallies = new Map<string, Tally>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    perMinute: number,
    private readonly audit: AuditTrail,
    private readonly now: () => number = Date.now,
  ) {
    this.failures = new RateLimiter(perMinute);
    this.timer = setInterval(() => void this.flush(false).catch(() => {}), MINUTE / 4);
    this.timer.unref();
  }

  /**
   * What a presented key's failures count against: the key's id when it names a key that exists (a
   * wrong secret, a revoked key), else the client address, so that a fresh made-up id per request
   * cannot escape the address's limit or add an audit entry of its own.
   */
  static bucketOf(presented: string | undefined, client: string, error: AuthError): string {
    const id = keyIdOf(presented);
    return id && (error.reason === "wrong-secret" || error.reason === "revoked") ? `key id ${id}` : `address ${client}`;
  }

  /**
   * A failed authentication: counted and audited (aggregated), then the error to answer with, the
   * AuthError itself, or a RateLimitError once its key id or address is past the limit.
   */
  async failed(
    presented: string | undefined,
    client: string,
    operation: string,
    error: AuthError,
    requestId: string,
  ): Promise<Error> {
    const bucket = AuthGuard.bucketOf(presented, client, error);
    const allowed = this.failures.take(bucket);
    await this.tally(bucket, operation, `rejected-auth:${error.reason}`, requestId);
    if (allowed.ok) return error;
    return new RateLimitError(
      `too many failed authentications for this ${bucket.startsWith("key") ? "key id" : "address"}; retry in ${allowed.retryAfterSeconds} s`,
      allowed.retryAfterSeconds,
    );
  }

  private async tally(bucket: string, operation: string, decision: string, requestId: string): Promise<void> {
    const minute = Math.floor(this.now() / MINUTE);
    const held = this.tallies.get(bucket);
    if (held && held.minute === minute) {
      held.more++;
      held.operation = operation;
      held.reason = decision;
      return;
    }
    if (held) await this.write(bucket, held);
    this.tallies.delete(bucket);
    this.tallies.set(bucket, { minute, more: 0, operation, reason: decision });
    if (this.tallies.size > MAX_TALLIES) {
      const [oldest, tally] = this.tallies.entries().next().value as [string, Tally];
      this.tallies.delete(oldest);
      await this.write(oldest, tally);
    }
    await this.audit.append({ tenant: "-", keyId: "-", operation, decision, requestId });
  }

  private async write(bucket: string, t: Tally): Promise<void> {
    if (t.more === 0) return;
    const from = new Date(t.minute * MINUTE).toISOString();
    await this.audit.append({
      tenant: "-",
      keyId: "-",
      operation: t.operation,
      decision: `rejected-auth:aggregate ${t.more} more failed authentications from ${bucket} in the minute from ${from} (last ${t.reason})`,
      requestId: `auth-failures:${t.minute}`,
    });
  }

  /** Audit the counts of the minutes that are over (all of them with `all`, as the process stops). */
  async flush(all: boolean): Promise<void> {
    const minute = Math.floor(this.now() / MINUTE);
    for (const [bucket, t] of [...this.tallies]) {
      if (!all && t.minute === minute) continue;
      this.tallies.delete(bucket);
      await this.write(bucket, t);
    }
  }

  close(): Promise<void> {
    clearInterval(this.timer);
    return this.flush(true);
  }
}
