import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "@facerec/storage";
import { postgresForTests } from "@facerec/testkit";
import { describe, expect, it } from "vitest";
import { FileReviewStore, type NewReviewItem, PgReviewStore, type ReviewStore } from "../src/index.js";

const DIMS = 16;
const OPTIONS = { join: 0.45, merge: 0.55 };

/** A unit vector near person `p`'s direction (a face of p), varied by `n`: the same every run. */
function face(p: number, n: number): Float32Array {
  const v = Float32Array.from({ length: DIMS }, (_, i) => (i === p ? 1 : 0) + 0.15 * Math.sin(n * 12.9898 + i * 78.233));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

const item = (tenant: string, id: string, p: number, n: number, day: number, camera = "door"): NewReviewItem => ({
  id,
  tenant,
  camera,
  model: "m1",
  time: new Date(Date.UTC(2026, 11, day)).toISOString(),
  vector: face(p, n),
  quality: 0.9,
  outcome: "unknown",
  candidates: [{ subjectId: "s1", score: 0.1, threshold: 0.34 }],
});

/** Bytes standing in for a crop: the store keeps whatever it is given, byte for byte. */
const cropBytes = (id: string) => Buffer.from(`png of ${id}`);

const pg = postgresForTests();

/** Two handles on one store: the same folder reopened, or two connections to one database. */
const adapters: [string, () => Promise<{ a: ReviewStore; reopen: () => Promise<ReviewStore> }>][] = [
  [
    "local files",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "review-store-"));
      const a = FileReviewStore.open(dir, OPTIONS);
      return {
        a,
        reopen: async () => {
          await a.close();
          return FileReviewStore.open(dir, OPTIONS);
        },
      };
    },
  ],
  [
    "PostgreSQL",
    async () => {
      const url = pg.database();
      const db = pg.closeAfter(await Database.connect(url));
      return {
        a: new PgReviewStore(db, OPTIONS),
        reopen: async () => {
          const other = pg.closeAfter(await Database.connect(url));
          return new PgReviewStore(other, OPTIONS);
        },
      };
    },
  ],
];

for (const [name, open] of adapters) {
  describe(`review queue on ${name}`, () => {
    it("clusters faces by person, keeps tenants apart, ignores a repeated id, and survives a reopen", async () => {
      const { a, reopen } = await open();
      for (let n = 0; n < 4; n++) await a.add(item("acme", `p0-${n}`, 0, n, 1 + n, n % 2 ? "lobby" : "door"));
      for (let n = 0; n < 3; n++) await a.add(item("acme", `p1-${n}`, 1, n, 2));
      await a.add(item("globex", "g-0", 0, 9, 3));
      expect(await a.add(item("acme", "p0-0", 0, 0, 1))).toBeUndefined();
      const page = await a.clusters("acme", 10, 0);
      expect(page.total).toBe(2);
      expect(page.clusters.map((c) => [c.faces, c.cameras]).sort()).toEqual([
        [3, ["door"]],
        [4, ["door", "lobby"]],
      ]);
      expect(page.clusters[0]?.last).toBe(new Date(Date.UTC(2026, 11, 4)).toISOString());
      expect((await a.clusters("globex", 10, 0)).total).toBe(1);
      const b = await reopen();
      expect((await b.clusters("acme", 10, 0)).clusters.map((c) => c.id).sort()).toEqual(page.clusters.map((c) => c.id).sort());
      // A new face of person 0 joins the same cluster through the reopened store.
      const placed = await b.add(item("acme", "p0-9", 0, 9, 5));
      const p0 = page.clusters.find((c) => c.faces === 4);
      expect(placed?.cluster).toBe(p0?.id);
      expect(await b.items("globex", p0?.id as string)).toEqual([]);
      await b.close();
    });

    it("takes a cluster out whole, and purges expired faces from their clusters", async () => {
      const { a } = await open();
      for (let n = 0; n < 3; n++) await a.add(item("acme", `x-${n}`, 2, n, 1 + n));
      for (let n = 0; n < 2; n++) await a.add(item("acme", `y-${n}`, 3, n, 10));
      const [newest, oldest] = (await a.clusters("acme", 10, 0)).clusters;
      expect(await a.take("globex", oldest?.id as string)).toEqual([]);
      // A purge of one tenant leaves the others' faces, however old.
      await a.add(item("globex", "g-old", 2, 9, 1));
      expect(await a.purge(new Date(Date.UTC(2026, 11, 2)).toISOString(), "globex")).toEqual(new Map([["globex", 1]]));
      expect((await a.clusters("acme", 10, 0)).total).toBe(2);
      const counts = await a.purge(new Date(Date.UTC(2026, 11, 3)).toISOString());
      expect(counts).toEqual(new Map([["acme", 2]]));
      expect((await a.items("acme", oldest?.id as string)).map((i) => i.id)).toEqual(["x-2"]);
      // The cluster's sum lost the purged faces: a new face of that person still joins it.
      expect((await a.add(item("acme", "x-7", 2, 7, 11)))?.cluster).toBe(oldest?.id);
      const taken = await a.take("acme", newest?.id as string);
      expect(taken.map((i) => i.id).sort()).toEqual(["y-0", "y-1"]);
      expect(taken[0]?.vector).toHaveLength(DIMS);
      expect((await a.clusters("acme", 10, 0)).total).toBe(1);
      await a.close();
    });

    it("keeps a close-call match's subject and each face's crop until the face leaves, across a reopen", async () => {
      const { a, reopen } = await open();
      await a.add({ ...item("acme", "m-0", 5, 0, 1), outcome: "match", subjectId: "s1", crop: cropBytes("m-0") });
      await a.add({ ...item("acme", "m-1", 5, 1, 2), crop: cropBytes("m-1") });
      await a.add(item("acme", "m-2", 5, 2, 3));
      const [cluster] = (await a.clusters("acme", 10, 0)).clusters;
      const b = await reopen();
      const items = await b.items("acme", cluster?.id as string);
      expect(items.map((i) => [i.id, i.outcome, i.subjectId, i.hasCrop])).toEqual([
        ["m-0", "match", "s1", true],
        ["m-1", "unknown", undefined, true],
        ["m-2", "unknown", undefined, false],
      ]);
      expect(Buffer.from((await b.crop("acme", "m-1")) ?? []).toString()).toBe("png of m-1");
      expect(await b.crop("acme", "m-2")).toBeUndefined();
      expect(await b.crop("globex", "m-1")).toBeUndefined();
      // Purged faces lose their crops; a taken face carries its crop out (to become a template's).
      await b.purge(new Date(Date.UTC(2026, 11, 2)).toISOString());
      expect(await b.crop("acme", "m-0")).toBeUndefined();
      const taken = await b.take("acme", cluster?.id as string);
      expect(taken.map((i) => [i.id, i.crop ? Buffer.from(i.crop).toString() : undefined])).toEqual([
        ["m-1", "png of m-1"],
        ["m-2", undefined],
      ]);
      expect(await b.crop("acme", "m-1")).toBeUndefined();
      await b.close();
    });

    if (name === "local files") {
      it("removes at open a crop file whose face was never recorded (a crash between the two writes)", async () => {
        const dir = mkdtempSync(join(tmpdir(), "review-store-"));
        const a = FileReviewStore.open(dir, OPTIONS);
        await a.add({ ...item("acme", "kept", 6, 0, 1), crop: cropBytes("kept") });
        await a.close();
        writeFileSync(join(dir, "review-crops", `${"0".repeat(40)}.png`), "orphan");
        const b = FileReviewStore.open(dir, OPTIONS);
        expect(readdirSync(join(dir, "review-crops"))).toHaveLength(1);
        expect(Buffer.from((await b.crop("acme", "kept")) ?? []).toString()).toBe("png of kept");
        await b.close();
      });
    }
  });
}

describe("review queue on PostgreSQL, two replicas placing at once", () => {
  it("agrees on every cluster when two stores add faces of the same people concurrently", async () => {
    const url = pg.database();
    const [d1, d2] = [pg.closeAfter(await Database.connect(url)), pg.closeAfter(await Database.connect(url))];
    const [r1, r2] = [new PgReviewStore(d1, OPTIONS), new PgReviewStore(d2, OPTIONS)];
    await Promise.all(
      [0, 1, 2].flatMap((p) =>
        Array.from({ length: 6 }, (_, n) => (n % 2 ? r1 : r2).add(item("acme", `c${p}-${n}`, 4 + p, n, 1 + n))),
      ),
    );
    const page = await r1.clusters("acme", 10, 0);
    expect(page.clusters.map((c) => c.faces)).toEqual([6, 6, 6]);
    for (const c of page.clusters) {
      const people = new Set((await r2.items("acme", c.id)).map((i) => i.id.split("-")[0]));
      expect(people.size).toBe(1);
    }
  });

  it("a replica's clusters in memory follow what another took or purged", async () => {
    const url = pg.database();
    const [d1, d2] = [pg.closeAfter(await Database.connect(url)), pg.closeAfter(await Database.connect(url))];
    const [r1, r2] = [new PgReviewStore(d1, OPTIONS), new PgReviewStore(d2, OPTIONS)];
    const first = await r1.add(item("acme", "a-0", 8, 0, 1));
    await r2.add(item("acme", "a-1", 8, 1, 2));
    expect((await r1.items("acme", first?.cluster as string)).map((i) => i.id)).toEqual(["a-0", "a-1"]);
    // r1 takes the cluster; r2, whose memory still holds it, must not place the next face in it.
    await r1.take("acme", first?.cluster as string);
    const next = await r2.add(item("acme", "a-2", 8, 2, 3));
    expect(next?.created).toBe(true);
    expect(next?.cluster).toBe("a-2");
    // r2 purges it; r1 then starts afresh for that person too.
    expect(await r2.purge(new Date(Date.UTC(2026, 11, 4)).toISOString())).toEqual(new Map([["acme", 1]]));
    expect((await r1.add(item("acme", "a-3", 8, 3, 5)))?.cluster).toBe("a-3");
    expect((await r2.add(item("acme", "a-4", 8, 4, 6)))?.cluster).toBe("a-3");
  });
});
