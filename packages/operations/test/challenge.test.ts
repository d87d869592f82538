import { NotFoundError } from "@facerec/gallery";
import { describe, expect, it } from "vitest";
import { ChallengeBook, DEFAULT_CHALLENGE } from "../src/challenge.js";

describe("the open challenges", () => {
  it("asks distinct actions from the configured ones, in every order", () => {
    const book = new ChallengeBook({ ...DEFAULT_CHALLENGE, steps: 2 });
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const c = book.start("acme") as { actions: string[] };
      expect(new Set(c.actions).size).toBe(2);
      seen.add(c.actions.join(","));
    }
    // Three actions two at a time: six orders, and 200 draws miss one with probability about 1e-15.
    expect(seen.size).toBe(6);
    expect(() => new ChallengeBook({ ...DEFAULT_CHALLENGE, actions: ["blink"], steps: 2 })).toThrow(/1 to 1 actions/);
  });

  it("keeps each tenant's to itself, bounds how many are open, and forgets expired ones", () => {
    const book = new ChallengeBook({ ...DEFAULT_CHALLENGE, maxOpen: 2, ttlSeconds: 60 });
    const now = Date.now();
    const a = book.start("acme", now);
    const b = book.start("acme", now);
    expect(a && b).toBeTruthy();
    expect(book.start("acme", now)).toBeUndefined();
    expect(book.find("acme", a?.id as string, now)).toBe(a);
    expect(() => book.find("globex", a?.id as string, now)).toThrow(NotFoundError);
    expect(() => book.find("acme", a?.id as string, now + 60_000)).toThrow(/expired/);
    // Starting sweeps the expired: the bound is on open challenges, not on all ever started.
    expect(book.start("acme", now + 61_000)).toBeDefined();
    expect(book.size).toBe(1);
  });
});
