import { Database } from "@facerec/storage";
import { postgresForTests } from "@facerec/testkit";
import { describe, expect, it } from "vitest";
import { type Challenge, type ChallengeStore, MemoryChallengeStore, PgChallengeStore } from "../src/index.js";

const NOW = 1_800_000_000_000;
const challenge = (id: string, tenant = "acme", expiresAt = NOW + 60_000): Challenge => ({
  id,
  tenant,
  actions: ["turn-left", "blink"],
  expiresAt,
  frames: [],
});
const frame = (yaw: number) => ({ faces: 1, box: { x: 1, y: 2, width: 3, height: 4 }, pose: { yaw, eyes: 0.3 } });

/** Every store keeps the same promises; `open` gives two handles on one store (two gateways). */
function conformance(name: string, open: () => Promise<[ChallengeStore, ChallengeStore]>): void {
  describe(`${name} challenge store`, () => {
    it("keeps a challenge's frames in order across handles, for its tenant only", async () => {
      const [a, b] = await open();
      expect(await a.insert(challenge("c1"), { open: 10, tenant: 10 }, NOW)).toBe(true);
      expect(await a.addFrame("acme", "c1", frame(0.1), 10, NOW)).toMatchObject({
        frames: [frame(0.1)],
        actions: ["turn-left", "blink"],
      });
      expect(await b.addFrame("acme", "c1", frame(0.4), 10, NOW)).toMatchObject({ frames: [frame(0.1), frame(0.4)] });
      expect(await b.addFrame("globex", "c1", frame(0.4), 10, NOW)).toBe("gone");
      expect(await b.take("globex", "c1", NOW)).toBeUndefined();
      const taken = await b.take("acme", "c1", NOW);
      expect(taken).toMatchObject({
        id: "c1",
        tenant: "acme",
        actions: ["turn-left", "blink"],
        frames: [frame(0.1), frame(0.4)],
      });
      // Judged once: the other handle finds nothing left.
      expect(await a.take("acme", "c1", NOW)).toBeUndefined();
      expect(await a.addFrame("acme", "c1", frame(0), 10, NOW)).toBe("gone");
    });

    it("bounds frames per challenge and challenges open at once, and forgets the expired", async () => {
      const [a, b] = await open();
      expect(await a.insert(challenge("d1", "acme", NOW + 1000), { open: 2, tenant: 2 }, NOW)).toBe(true);
      expect(await b.insert(challenge("d2"), { open: 2, tenant: 2 }, NOW)).toBe(true);
      expect(await a.insert(challenge("d3"), { open: 2, tenant: 2 }, NOW)).toBe(false);
      expect(await a.addFrame("acme", "d2", frame(0), 1, NOW)).not.toBe("full");
      expect(await a.addFrame("acme", "d2", frame(0), 1, NOW)).toBe("full");
      // d1 expires; a start sweeps it, which frees its place.
      expect(await b.addFrame("acme", "d1", frame(0), 10, NOW + 1000)).toBe("gone");
      expect(await b.take("acme", "d1", NOW + 1000)).toBeUndefined();
      expect(await b.insert(challenge("d4"), { open: 2, tenant: 2 }, NOW + 1000)).toBe(true);
    });

    it("keeps one tenant to its share of the open challenges: another tenant still opens one", async () => {
      const [a, b] = await open();
      const bounds = { open: 10, tenant: 2 };
      expect(await a.insert(challenge("e1", "acme"), bounds, NOW)).toBe(true);
      expect(await b.insert(challenge("e2", "acme"), bounds, NOW)).toBe(true);
      expect(await a.insert(challenge("e3", "acme"), bounds, NOW)).toBe(false);
      expect(await b.insert(challenge("e4", "globex"), bounds, NOW)).toBe(true);
    });
  });
}

conformance("memory", async () => {
  const store = new MemoryChallengeStore();
  return [store, store];
});

const pg = postgresForTests();
conformance("PostgreSQL", async () => {
  const url = pg.database();
  const [one, two] = [pg.closeAfter(await Database.connect(url)), pg.closeAfter(await Database.connect(url))];
  return [new PgChallengeStore(one), new PgChallengeStore(two)];
});
