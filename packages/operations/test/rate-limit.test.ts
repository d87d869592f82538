import { describe, expect, it } from "vitest";
import { RateLimiter } from "../src/rate-limit.js";

describe("rate limiter", () => {
  it("allows a burst of the per-minute budget, then refuses with the wait, then refills", () => {
    let now = 0;
    const limiter = new RateLimiter(60, 100, () => now);
    for (let i = 0; i < 60; i++) expect(limiter.take("k").ok).toBe(true);
    expect(limiter.take("k")).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take("other").ok).toBe(true);
    now += 1000;
    expect(limiter.take("k").ok).toBe(true);
    expect(limiter.take("k").ok).toBe(false);
  });

  it("keeps at most maxKeys buckets", () => {
    const limiter = new RateLimiter(1, 3, () => 0);
    for (const k of ["a", "b", "c", "d"]) expect(limiter.take(k).ok).toBe(true);
    // "a" was evicted, so it starts again with a full bucket; "d" is still empty.
    expect(limiter.take("a").ok).toBe(true);
    expect(limiter.take("d").ok).toBe(false);
  });
});
