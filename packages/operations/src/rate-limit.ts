/**
 * A token bucket per API key: `perMinute` requests a minute on average, bursts up to the same number.
 * The table of buckets is bounded: past `maxKeys` the least recently used bucket is dropped (a dropped
 * key simply starts again with a full bucket), so memory stays bounded whatever the traffic.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Take one token for `key`; when none is left, say how many seconds until one is. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const bucket = this.refilled(key);
    const wait = this.waitFor(bucket);
    if (wait > 0) return { ok: false, retryAfterSeconds: wait };
    bucket.tokens -= 1;
    return { ok: true };
  }

  /** Seconds until `key` has a token, without taking one: 0 when it has one now. */
  wait(key: string): number {
    return this.waitFor(this.refilled(key));
  }

  private waitFor(bucket: { tokens: number }): number {
    return bucket.tokens < 1 ? Math.ceil((1 - bucket.tokens) / (this.perMinute / 60_000) / 1000) : 0;
  }

  /** The key's bucket, refilled for the time since it was last used, and made the most recently used. */
  private refilled(key: string): { tokens: number; at: number } {
    const t = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: t };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + ((t - bucket.at) * this.perMinute) / 60_000);
    bucket.at = t;
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    return bucket;
  }
}
