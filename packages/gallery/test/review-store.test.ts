import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database, RecordLog } from "@facerec/storage";
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

/** A face's crop as the store is given it. */
const withCrop = (i: NewReviewItem): NewReviewItem => ({ ...i, crop: cropBytes(i.id) });

/** The subject erased in the erasure tests, and candidates naming it and someone else. */
const ERASED = "subject-erased-7f3a";
const named = { subjectId: ERASED, score: 0.31, threshold: 0.34 };
const other = { subjectId: "subject-kept", score: 0.2, threshold: 0.34 };

/** A tenant's whole queue: its clusters as listed, and each one's faces. */
async function queueOf(store: ReviewStore, tenant: string) {
  const { clusters } = await store.clusters(tenant, 100, 0);
  const items = new Map(await Promise.all(clusters.map(async (c) => [c.id, await store.items(tenant, c.id)] as const)));
  return { clusters, items };
}

/** Which of `needles` some file under `dir` still holds, byte for byte. */
function leftIn(dir: string, needles: string[]): string[] {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name)));
  return needles.filter((n) => files.some((bytes) => bytes.includes(Buffer.from(n))));
}

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
      // The cluster was named after x-0, which went: it goes by x-2 now.
      expect(oldest?.id).toBe("x-0");
      expect(await a.items("acme", "x-0")).toEqual([]);
      expect((await a.items("acme", "x-2")).map((i) => i.id)).toEqual(["x-2"]);
      // The cluster's sum lost the purged faces: a new face of that person still joins it.
      expect((await a.add(item("acme", "x-7", 2, 7, 11)))?.cluster).toBe("x-2");
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
      // The cluster was named after m-0: it now goes by its oldest face left.
      expect(await b.items("acme", cluster?.id as string)).toEqual([]);
      const taken = await b.take("acme", "m-1");
      expect(taken.map((i) => [i.id, i.crop ? Buffer.from(i.crop).toString() : undefined])).toEqual([
        ["m-1", "png of m-1"],
        ["m-2", undefined],
      ]);
      expect(await b.crop("acme", "m-1")).toBeUndefined();
      await b.close();
    });

    it("erases a subject from the queue: the faces that are plausibly the person go with their crops, the others stop naming them", async () => {
      const { a, reopen } = await open();
      // A close call that named the subject starts person 9's cluster; a face of a stranger joins it later.
      await a.add(
        withCrop({ ...item("acme", "close-call", 9, 0, 1), outcome: "match", subjectId: ERASED, candidates: [named, other] }),
      );
      await a.add(withCrop({ ...item("acme", "top-candidate", 10, 0, 2), candidates: [named, other] }));
      await a.add(withCrop({ ...item("acme", "lower-candidate", 11, 0, 3), candidates: [other, named] }));
      await a.add(withCrop({ ...item("acme", "stranger", 9, 1, 4), candidates: [other] }));
      await a.add(withCrop({ ...item("globex", "elsewhere", 10, 1, 2), candidates: [named] }));
      const ids = async (tenant: string) => (await a.facesOf(tenant, ERASED)).map((i) => i.id);
      expect(await ids("acme")).toEqual(["close-call", "top-candidate", "lower-candidate"]);

      expect(await a.eraseSubject("acme", ERASED)).toEqual({ faces: 2, mentions: 1 });
      expect(await ids("acme")).toEqual([]);
      expect(await ids("globex")).toEqual(["elsewhere"]);
      expect(await a.crop("acme", "close-call")).toBeUndefined();
      expect(await a.crop("acme", "top-candidate")).toBeUndefined();
      expect(Buffer.from((await a.crop("acme", "lower-candidate")) ?? []).toString()).toBe("png of lower-candidate");
      // Person 9's cluster lost the face it was named after: it goes by the face that stays.
      const state = await queueOf(a, "acme");
      expect(state.clusters.map((c) => [c.id, c.faces])).toEqual([
        ["stranger", 1],
        ["lower-candidate", 1],
      ]);
      expect(state.items.get("lower-candidate")?.[0]?.candidates).toEqual([other]);
      expect(await a.eraseSubject("acme", ERASED)).toEqual({ faces: 0, mentions: 0 });

      const b = await reopen();
      expect(await queueOf(b, "acme")).toEqual(state);
      // The sums lost the erased faces: person 9 still joins the stranger's cluster, person 10 starts afresh.
      expect(await b.add(item("acme", "p9-again", 9, 2, 5))).toEqual({ cluster: "stranger", created: false, merged: [] });
      expect(await b.add(item("acme", "p10-again", 10, 2, 5))).toEqual({ cluster: "p10-again", created: true, merged: [] });
      await b.close();
    });

    if (name === "local files") {
      it("keeps no byte of a face taken, purged or erased, nor of the erased subject, in the folder, and reopens to the same queue", async () => {
        const dir = mkdtempSync(join(tmpdir(), "review-store-"));
        const a = FileReviewStore.open(dir, OPTIONS);
        for (const n of [0, 1]) await a.add(withCrop(item("acme", `taken-${n}`, 12, n, 5)));
        await a.add(withCrop(item("acme", "purged-old", 13, 0, 1)));
        await a.add(withCrop(item("acme", "purge-survivor", 13, 1, 8)));
        await a.add(
          withCrop({ ...item("acme", "erased-match", 14, 0, 6), outcome: "match", subjectId: ERASED, candidates: [named] }),
        );
        await a.add(withCrop({ ...item("acme", "erase-survivor", 14, 1, 7), candidates: [other] }));
        await a.add(withCrop({ ...item("acme", "mentioning", 15, 0, 7), candidates: [other, named] }));
        await a.close();
        // An add that a crash cut short, naming the subject: never acknowledged, but its bytes are in the log.
        const torn = Buffer.from(JSON.stringify({ type: "face", item: { id: "torn-face", subjectId: ERASED } }));
        appendFileSync(join(dir, "review.log"), Buffer.concat([Buffer.from([0, 1, 0, 0, 9, 9, 9, 9]), torn]));

        const b = FileReviewStore.open(dir, OPTIONS);
        // Set aside at open, and gone with it: an erasure finding nothing to remove would not reach it.
        expect(leftIn(dir, ["torn-face"])).toEqual([]);
        await b.take("acme", "taken-0");
        expect(await b.purge(new Date(Date.UTC(2026, 11, 3)).toISOString())).toEqual(new Map([["acme", 1]]));
        expect(await b.eraseSubject("acme", ERASED)).toEqual({ faces: 1, mentions: 1 });
        const gone = [ERASED, "torn-face", "taken-0", "taken-1", "purged-old", "erased-match"];
        expect(leftIn(dir, gone)).toEqual([]);
        expect(readdirSync(join(dir, "review-crops"))).toHaveLength(3);
        const state = await queueOf(b, "acme");
        expect(state.clusters.map((c) => c.id)).toEqual(["purge-survivor", "erase-survivor", "mentioning"]);
        await b.close();

        const c = FileReviewStore.open(dir, OPTIONS);
        expect(await queueOf(c, "acme")).toEqual(state);
        expect(Buffer.from((await c.crop("acme", "erase-survivor")) ?? []).toString()).toBe("png of erase-survivor");
        await c.close();
      });

      it("rewrites at open a log written before removals rewrote it, so the faces it took and purged go", async () => {
        const dir = mkdtempSync(join(tmpdir(), "review-store-"));
        const stored = (i: NewReviewItem) => {
          const { vector, ...rest } = i;
          return { type: "face", item: { ...rest, vector: Buffer.from(vector.buffer).toString("base64") } };
        };
        const { log } = RecordLog.open(join(dir, "review.log"), () => {});
        log.append(
          [
            stored(item("acme", "legacy-taken", 1, 0, 1)),
            stored(item("acme", "legacy-purged", 2, 0, 1)),
            stored(item("acme", "legacy-kept", 2, 1, 5)),
            { type: "take", tenant: "acme", cluster: "legacy-taken" },
            { type: "purge", before: new Date(Date.UTC(2026, 11, 2)).toISOString() },
          ].map((r) => Buffer.from(JSON.stringify(r))),
        );
        log.close();
        const a = FileReviewStore.open(dir, OPTIONS);
        expect(leftIn(dir, ["legacy-taken", "legacy-purged"])).toEqual([]);
        const state = await queueOf(a, "acme");
        expect(state.clusters.map((c) => [c.id, c.faces])).toEqual([["legacy-kept", 1]]);
        await a.close();
        const b = FileReviewStore.open(dir, OPTIONS);
        expect(await queueOf(b, "acme")).toEqual(state);
        await b.close();
      });

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

  it("a replica's clusters in memory follow another's erasure of a subject", async () => {
    const url = pg.database();
    const [d1, d2] = [pg.closeAfter(await Database.connect(url)), pg.closeAfter(await Database.connect(url))];
    const [r1, r2] = [new PgReviewStore(d1, OPTIONS), new PgReviewStore(d2, OPTIONS)];
    await r2.add({ ...item("acme", "e-0", 7, 0, 1), outcome: "match", subjectId: ERASED, candidates: [named] });
    await r2.add(item("acme", "e-1", 7, 1, 2));
    expect(await r1.eraseSubject("acme", ERASED)).toEqual({ faces: 1, mentions: 0 });
    // r2 last saw the cluster as e-0 with two faces: it now finds it as e-1, with one.
    expect(await r2.add(item("acme", "e-2", 7, 2, 3))).toEqual({ cluster: "e-1", created: false, merged: [] });
    expect((await r1.clusters("acme", 10, 0)).clusters.map((c) => [c.id, c.faces])).toEqual([["e-1", 2]]);
  });
});
