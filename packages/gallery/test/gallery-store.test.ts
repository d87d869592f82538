import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database, RecordLog } from "@facerec/storage";
import { postgresForTests } from "@facerec/testkit";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_THRESHOLD_OPTIONS,
  EmbeddedIndex,
  FileGalleryStore,
  Gallery,
  type GalleryStore,
  NotFoundError,
  PgGalleryStore,
  type StoredTemplate,
  type Subject,
} from "../src/index.js";

const DIMS = 16;

/** A unit vector that depends only on `seed`: the same inputs every run. */
function unit(seed: number): Float32Array {
  const v = Float32Array.from({ length: DIMS }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

const subject = (tenant: string, id: string, name: string): Subject => ({
  id,
  tenant,
  name,
  metadata: { source: "test" },
  createdAt: "2026-12-02T00:00:00.000Z",
});

const template = (tenant: string, subjectId: string, id: string, seed: number): StoredTemplate => ({
  id,
  tenant,
  subject: subjectId,
  model: "m1",
  quality: 0.5 + seed / 100,
  createdAt: "2026-12-02T00:00:01.000Z",
  vector: unit(seed),
});

interface Adapter {
  place(): Promise<string>;
  open(place: string): Promise<GalleryStore>;
}

/** The conformance suite every gallery store passes. */
function conformance(name: string, adapter: Adapter): void {
  describe(`gallery store conformance: ${name}`, () => {
    it("keeps subjects and templates with their embeddings bit for bit, and crops, across a reopen", async () => {
      const place = await adapter.place();
      const store = await adapter.open(place);
      await store.createSubject(subject("acme", "s1", "ada"));
      await store.createSubject(subject("globex", "s1", "other tenant, same id"));
      const stored = await store.addTemplates([
        { template: template("acme", "s1", "t1", 1), crop: Buffer.from("png-1") },
        { template: template("acme", "s1", "t2", 2) },
      ]);
      expect(stored.map((t) => Boolean(t.crop))).toEqual([true, false]);
      const consent = { basis: "consent", givenAt: "2026-12-01T10:00:00.000Z", noticeVersion: "3", evidenceRef: "form-9" };
      await store.updateSubject({ ...subject("acme", "s1", "Ada"), metadata: { role: "engineer" }, consent });
      await store.close();
      const reopened = await adapter.open(place);
      const { subjects, templates } = await reopened.load();
      expect(subjects.map((s) => `${s.tenant}/${s.name}`).sort()).toEqual(["acme/Ada", "globex/other tenant, same id"]);
      expect(subjects.find((s) => s.tenant === "acme")?.metadata).toEqual({ role: "engineer" });
      // The consent record comes back whole; a subject without one has none.
      expect(subjects.find((s) => s.tenant === "acme")?.consent).toEqual(consent);
      expect(subjects.find((s) => s.tenant === "globex")).not.toHaveProperty("consent");
      const t1 = templates.find((t) => t.id === "t1") as StoredTemplate;
      expect(Buffer.from(t1.vector.buffer).equals(Buffer.from(unit(1).buffer))).toBe(true);
      expect(t1).toMatchObject({ tenant: "acme", subject: "s1", model: "m1", quality: 0.51 });
      expect((await reopened.crop(t1))?.toString()).toBe("png-1");
      expect(await reopened.crop(templates.find((t) => t.id === "t2") as StoredTemplate)).toBeUndefined();
      await reopened.close();
    });

    it("refuses writes to a subject that does not exist, in the tenant asked", async () => {
      const store = await adapter.open(await adapter.place());
      await store.createSubject(subject("acme", "s1", "ada"));
      await expect(store.updateSubject(subject("globex", "s1", "x"))).rejects.toThrow(NotFoundError);
      await expect(store.addTemplates([{ template: template("globex", "s1", "t9", 9) }])).rejects.toThrow(NotFoundError);
      await expect(store.erase("globex", "s1")).rejects.toThrow(NotFoundError);
      expect((await store.load()).templates).toEqual([]);
      await store.close();
    });

    it("erases a subject with its templates and crops, remembering only that it was erased", async () => {
      const place = await adapter.place();
      const store = await adapter.open(place);
      await store.createSubject(subject("acme", "s1", "ada"));
      await store.createSubject(subject("acme", "s2", "bob"));
      const [t1] = await store.addTemplates([
        { template: template("acme", "s1", "t1", 1), crop: Buffer.from("png-1") },
        { template: template("acme", "s1", "t2", 2) },
        { template: template("acme", "s2", "t3", 3) },
      ]);
      expect(await store.erase("acme", "s1")).toEqual({ templates: 2 });
      expect(await store.crop(t1 as StoredTemplate)).toBeUndefined();
      expect(await store.wasErased("acme", "s1")).toBe(true);
      expect(await store.wasErased("acme", "s2")).toBe(false);
      expect(await store.wasErased("acme", "never")).toBe(false);
      await expect(store.erase("acme", "s1")).rejects.toThrow(NotFoundError);
      await store.close();
      const reopened = await adapter.open(place);
      const { subjects, templates } = await reopened.load();
      expect(subjects.map((s) => s.id)).toEqual(["s2"]);
      expect(templates.map((t) => t.id)).toEqual(["t3"]);
      expect(await reopened.wasErased("acme", "s1")).toBe(true);
      await reopened.close();
    });
  });
}

conformance("local files", {
  place: async () => mkdtempSync(join(tmpdir(), "gallery-store-")),
  open: (dir) => FileGalleryStore.open(dir, DIMS),
});

const pg = postgresForTests();
async function connect(url: string): Promise<Database> {
  return pg.closeAfter(await Database.connect(url));
}
const freshDatabase = async (): Promise<string> => pg.database();

conformance("PostgreSQL", { place: freshDatabase, open: async (url) => new PgGalleryStore(await connect(url)) });

describe("one gallery, two replicas (PostgreSQL)", () => {
  const open = async (url: string) =>
    Gallery.open({
      store: new PgGalleryStore(await connect(url)),
      dims: DIMS,
      thresholds: { ...DEFAULT_THRESHOLD_OPTIONS, global: 0.5 },
    });

  /** Poll `check` until it holds or 5 s pass; returns how long it took. */
  async function within(check: () => Promise<boolean>): Promise<number> {
    const started = performance.now();
    while (!(await check())) {
      if (performance.now() - started > 5000) throw new Error("not seen by the other replica within 5 s");
      await new Promise((r) => setTimeout(r, 5));
    }
    return performance.now() - started;
  }

  it("an enrolment on one replica is matched on the other, and an erasure there leaves nothing behind", async () => {
    const url = await freshDatabase();
    const a = await open(url);
    const b = await open(url);
    const ada = await a.createSubject("acme", "ada");
    // B has not been told yet, but looks a subject up in the store before calling it unknown.
    expect((await b.findSubject("acme", ada.id)).name).toBe("ada");
    await a.enrol("acme", ada.id, "m1", [{ vector: unit(1), quality: 0.9 }]);
    await within(async () => (await b.identify("acme", "m1", unit(1))).outcome === "match");
    expect(await b.identify("globex", "m1", unit(1))).toMatchObject({ outcome: "unknown" });

    await b.deleteSubject("acme", ada.id);
    await within(async () => (await a.identify("acme", "m1", unit(1))).outcome === "unknown");
    expect(a.listSubjects("acme")).toEqual([]);
    expect(await a.index.subjectVectors({ tenant: "acme", model: "m1" }, ada.id)).toEqual([]);
    const db = await connect(url);
    for (const table of ["subjects", "templates"]) {
      const column = table === "subjects" ? "id" : "subject";
      expect((await db.query(`SELECT 1 FROM ${table} WHERE ${column} = $1`, [ada.id])).rowCount).toBe(0);
    }
    // What remains is the tombstone: the id and that it was erased, nothing about the person.
    expect((await db.query("SELECT kind, erased FROM changes WHERE ref = $1", [ada.id])).rows).toEqual([
      { kind: "subject", erased: true },
    ]);
    await expect(a.deleteSubject("acme", ada.id)).rejects.toThrow(NotFoundError);
    await a.close();
    await b.close();
  });

  it("a face marked not-them on one replica stops that match on the other; the subject's own face still matches", async () => {
    const url = await freshDatabase();
    const a = await open(url);
    const b = await open(url);
    const ada = await a.createSubject("acme", "ada");
    await a.enrol("acme", ada.id, "m1", [{ vector: unit(1), quality: 0.9 }]);
    // A look-alike: half ada, half someone else (cosine about 0.7 to ada, over the 0.5 threshold).
    const lookAlike = unit(1).map((x, i) => x + (unit(2)[i] as number));
    const probe = lookAlike.map((x) => x / Math.hypot(...lookAlike));
    await within(async () => (await b.identify("acme", "m1", probe)).outcome === "match");
    await a.addNegative("acme", ada.id, "m1", { vector: probe, quality: 0.9 });
    await within(async () => (await b.identify("acme", "m1", probe)).outcome === "unknown");
    expect(await b.identify("acme", "m1", probe)).toMatchObject({ contradicted: { subject: ada.id } });
    expect(await b.identify("acme", "m1", unit(1))).toMatchObject({ outcome: "match", subject: ada.id });
    expect((await b.verify("acme", "m1", ada.id, probe)).match).toBe(false);
    // Negatives are not templates: the subject still has one, and the negative is listed apart.
    expect(b.templatesOf("acme", ada.id)).toHaveLength(1);
    expect(b.negativesOf("acme", ada.id)).toHaveLength(1);
    await a.close();
    await b.close();
  });

  it("reindex rebuilds a shared index that lost points and drops the vectors of an erasure it missed", async () => {
    const url = await freshDatabase();
    // One index both replicas write to, as they share Qdrant: the store is the truth, the index a projection.
    const shared = await EmbeddedIndex.open({ dims: DIMS });
    const replica = async () =>
      Gallery.open({
        store: new PgGalleryStore(await connect(url)),
        dims: DIMS,
        index: shared,
        thresholds: { ...DEFAULT_THRESHOLD_OPTIONS, global: 0.5 },
      });
    const a = await replica();
    const b = await replica();
    // Seeds 10, 14 and 18 give vectors at cosine 0.03 or less from each other: three distinct people.
    const seeds = { ann: 10, ben: 14, cat: 18 };
    const people = [];
    for (const [name, seed] of Object.entries(seeds)) {
      const s = await a.createSubject("acme", name);
      await a.enrol("acme", s.id, "m1", [{ vector: unit(seed), quality: 0.9 }]);
      people.push(s);
    }
    const [ann, ben, cat] = people as [Subject, Subject, Subject];
    await b.enrol("globex", (await b.createSubject("globex", "gil")).id, "m1", [{ vector: unit(30), quality: 0.9 }]);
    // The index loses ann's vector (a Qdrant volume restored from an old snapshot), and keeps ben's after
    // his erasure (the eraser died between the store and the index).
    const annPoint = (await shared.ids({ tenant: "acme", model: "m1" })).find(
      (id) => a.templatesOf("acme", ann.id)[0]?.id === id,
    );
    await shared.delete({ tenant: "acme", model: "m1" }, [annPoint as string]);
    const benVectors = await shared.subjectVectors({ tenant: "acme", model: "m1" }, ben.id);
    const benTemplate = a.templatesOf("acme", ben.id)[0] as StoredTemplate;
    await b.deleteSubject("acme", ben.id);
    await shared.upsert([
      { id: benTemplate.id, tenant: "acme", model: "m1", subject: ben.id, vector: benVectors[0] as Float32Array },
    ]);
    const inIndex = async () => (await shared.ids({ tenant: "acme", model: "m1" })).sort();
    const inStore = [ann, cat].map((p) => (a.templatesOf("acme", p.id)[0] as StoredTemplate).id).sort();
    expect(await inIndex()).toEqual([benTemplate.id, ...inStore.filter((id) => id !== annPoint)].sort());

    expect(await b.reindex("acme", ["m1"])).toEqual({ added: 1, removed: 1 });
    expect(await inIndex()).toEqual(inStore);
    const hits = await shared.search(unit(seeds.ann), 3, { tenant: "acme", model: "m1" });
    expect(hits.map((h) => h.subject).sort()).toEqual([ann.id, cat.id].sort());
    // The replica that reindexed recalibrated from the index as it is now: ann is named, ben is not.
    expect(await b.identify("acme", "m1", unit(seeds.ann))).toMatchObject({ outcome: "match", subject: ann.id });
    expect((await b.identify("acme", "m1", unit(seeds.ben))).outcome).toBe("unknown");
    // Another tenant's points are not touched; a second run finds nothing to do.
    expect(await shared.count({ tenant: "globex", model: "m1" })).toBe(1);
    expect(await a.reindex("acme", ["m1"])).toEqual({ added: 0, removed: 0 });
    await a.close();
    await b.close();
  });

  it("a replica started later loads the gallery, then follows changes it missed while away", async () => {
    const url = await freshDatabase();
    const a = await open(url);
    const bob = await a.createSubject("acme", "bob");
    await a.enrol("acme", bob.id, "m1", [{ vector: unit(5), quality: 0.9 }]);
    const b = await open(url);
    expect((await b.identify("acme", "m1", unit(5))).outcome).toBe("match");
    const eve = await a.createSubject("acme", "eve");
    await a.enrol("acme", eve.id, "m1", [{ vector: unit(7), quality: 0.9 }]);
    await b.sync();
    expect(await b.identify("acme", "m1", unit(7))).toMatchObject({ outcome: "match", subject: eve.id });
    await a.close();
    await b.close();
  });
});

describe("local files: an erasure leaves no record naming the subject", () => {
  it("keeps only a hashed tombstone, and finishes an erasure whose rewrite a crash cut off", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gallery-erase-"));
    const log = join(dir, "gallery.log");
    const store = await FileGalleryStore.open(dir, DIMS);
    await store.createSubject(subject("acme", "s1-ada", "Ada Lovelace"));
    await store.createSubject(subject("acme", "s2-bob", "Bob Kahn"));
    await store.addTemplates([
      { template: template("acme", "s1-ada", "t1", 1) },
      { template: template("acme", "s2-bob", "t2", 2) },
    ]);
    await store.erase("acme", "s1-ada");
    expect(readFileSync(log).includes("s1-ada")).toBe(false);
    expect(readFileSync(log).includes("Ada Lovelace")).toBe(false);
    // A crash after the erasure's record was appended, before the rewrite: the record names bob.
    const records: Buffer[] = [];
    RecordLog.read(log, (r) => records.push(Buffer.from(r)));
    await store.close();
    RecordLog.rewrite(log, [...records, Buffer.from(JSON.stringify({ op: "erase", tenant: "acme", subject: "s2-bob" }))]);
    expect(readFileSync(log).includes("s2-bob")).toBe(true);
    const reopened = await FileGalleryStore.open(dir, DIMS);
    expect((await reopened.load()).subjects).toEqual([]);
    expect(await reopened.wasErased("acme", "s1-ada")).toBe(true);
    expect(await reopened.wasErased("acme", "s2-bob")).toBe(true);
    expect(readFileSync(log).includes("s2-bob")).toBe(false);
    await reopened.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
