import { l2normalise } from "@facerec/common";
import { describeWithShared, gaussianNoise } from "@facerec/testkit";
import { beforeAll, expect, it } from "vitest";
import { DEFAULT_THRESHOLD_OPTIONS, EmbeddedIndex, type IndexPoint, SubjectThresholds, type VectorIndex } from "../src/index.js";
import { vectorIndexConformance } from "./conformance.js";
import { type FaceVector, knnTrainVectors } from "./faces.js";

/** The approximate index with codes from the first point, waiting for them after each change. */
async function annEverywhere(): Promise<VectorIndex> {
  const index = await EmbeddedIndex.open({ dims: 512, ann: { minTemplates: 0 } });
  const settled =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const result = await call(...args);
      await index.annReady();
      expect(index.annState({ tenant: "acme", model: "arcface512" })).toBe("ready");
      return result;
    };
  return Object.assign(Object.create(index) as EmbeddedIndex, {
    upsert: settled(index.upsert.bind(index)),
    delete: settled(index.delete.bind(index)),
    deleteSubject: settled(index.deleteSubject.bind(index)),
  });
}

vectorIndexConformance("embedded index, approximate (code index from the first point)", annEverywhere, async () => undefined);

describeWithShared("embedded index with a code index", () => {
  const filter = { tenant: "acme", model: "arcface512" };
  let faces: FaceVector[];
  let crowd: IndexPoint[];

  beforeAll(async () => {
    faces = await knnTrainVectors();
    // Strangers as distinct people look to the model, to a first approximation: directions of their own
    // (cosine about 0 +- 0.05 to anyone). Dense clouds of near-copies around each face are a different,
    // harder case that bench/index-search measures.
    const noise = gaussianNoise(7);
    crowd = Array.from({ length: 6000 }, (_, i) => {
      const vector = l2normalise(Float32Array.from({ length: 512 }, noise));
      return { id: `stranger-${i}`, subject: `stranger-${i}`, vector, ...filter };
    });
  });

  it("finds every close match the exact index finds, in its order and with its exact score", async () => {
    const exact = await EmbeddedIndex.open({ dims: 512, ann: false });
    const ann = await EmbeddedIndex.open({ dims: 512, ann: { minTemplates: 1000 } });
    const people = faces.map((f, i) => ({ id: `${f.person}-${i}`, subject: f.person, vector: f.vector, ...filter }));
    for (const index of [exact, ann]) await index.upsert([...crowd, ...people]);
    await ann.annReady();
    expect(ann.annState(filter)).toBe("ready");
    expect(exact.annState(filter)).toBe("none");
    let mates = 0;
    for (const [i, face] of faces.entries()) {
      // Close: far above any stranger (their best is under 0.25 here), where a decision could be made.
      const close = (await exact.search(face.vector, 10, filter)).filter((h) => h.score >= 0.3);
      const found = await ann.search(face.vector, close.length, filter);
      expect(found[0]?.id).toBe(`${face.person}-${i}`);
      expect(found.map((h) => h.id)).toEqual(close.map((h) => h.id));
      for (const [j, h] of found.entries()) expect(h.score).toBeCloseTo(close[j]?.score as number, 5);
      mates += found.filter((h) => h.subject === face.person).length - 1;
    }
    // The other photos of the same people are among them, through the codes.
    expect(mates).toBeGreaterThanOrEqual(6);
    await Promise.all([exact.close(), ann.close()]);
  });

  it("applies the changes made while its codes were being built", async () => {
    const ann = await EmbeddedIndex.open({ dims: 512, ann: { minTemplates: 1000 } });
    await ann.upsert(crowd);
    expect(ann.annState(filter)).toBe("building");
    const [gone, moved] = crowd as [IndexPoint, IndexPoint];
    const newcomer = faces[0] as FaceVector;
    await ann.delete(filter, [gone.id]);
    await ann.upsert([{ ...moved, vector: newcomer.vector }]);
    // Meanwhile searches are exact, so they already see both changes.
    expect((await ann.search(gone.vector, 1, filter))[0]?.id).not.toBe(gone.id);
    await ann.annReady();
    expect(ann.annState(filter)).toBe("ready");
    expect((await ann.search(gone.vector, 5, filter)).map((h) => h.id)).not.toContain(gone.id);
    const found = await ann.search(newcomer.vector, 1, filter);
    expect(found[0]?.id).toBe(moved.id);
    expect(found[0]?.score).toBeCloseTo(1, 5);
    await ann.close();
  });

  it("keeps tenants apart: a small tenant is searched exactly, never through a large tenant's codes", async () => {
    const ann = await EmbeddedIndex.open({ dims: 512, ann: { minTemplates: 1000 } });
    await ann.upsert(crowd);
    const small = { tenant: "globex", model: filter.model };
    await ann.upsert([{ id: "g1", subject: "g1", vector: (faces[1] as FaceVector).vector, ...small }]);
    await ann.annReady();
    expect(ann.annState(small)).toBe("none");
    const hits = await ann.search((faces[1] as FaceVector).vector, 10, small);
    expect(hits.map((h) => h.id)).toEqual(["g1"]);
    await ann.close();
  });

  it("names the nearest subject centroids as exact search does", async () => {
    // Each face its own subject among 1,200 strangers: one centroid each.
    const people = faces.map((f, i) => ({ id: `${f.person}-${i}`, subject: `${f.person}-${i}`, vector: f.vector, ...filter }));
    const rows = [...crowd.slice(0, 1200), ...people];
    const templates = await EmbeddedIndex.open({ dims: 512, ann: false });
    await templates.upsert(rows);
    const subjects = rows.map((p) => p.subject);
    const start = async (ann: { minTemplates: number } | false) => {
      const t = await SubjectThresholds.create(templates, filter, 512, { ...DEFAULT_THRESHOLD_OPTIONS, global: 0.5 }, ann);
      await t.rebuild(subjects);
      await t.annReady();
      return t;
    };
    const [coded, exact] = await Promise.all([start({ minTemplates: 1000 }), start(false)]);
    const nearest = (t: SubjectThresholds) =>
      Promise.all(faces.map(async (f) => (await t.searchCentroids(f.vector, 1))[0]?.subject));
    expect(await nearest(coded)).toEqual(await nearest(exact));
    await Promise.all([coded.close(), exact.close(), templates.close()]);
  });

  it("builds its codes again, with directions fitted on the rows then held, when the partition doubles", async () => {
    const people = faces.map((f, i) => ({ id: `${f.person}-${i}`, subject: f.person, vector: f.vector, ...filter }));
    const ann = await EmbeddedIndex.open({ dims: 512, ann: { minTemplates: 1000, shortlist: 50 } });
    await ann.upsert(crowd.slice(0, 1000));
    await ann.annReady();
    expect(ann.annFittedRows(filter)).toBe(1000);
    await ann.upsert(crowd.slice(1000, 1999));
    expect(ann.annFittedRows(filter)).toBe(1000);
    // The 2,000th row starts the next build; the current codes serve meanwhile, so search stays coded.
    await ann.upsert([...crowd.slice(1999, 2000), ...people]);
    expect(ann.annState(filter)).toBe("ready");
    await ann.annReady();
    // The build takes the rows held when it starts: the 2,000 and the people upserted with the last one.
    expect(ann.annFittedRows(filter)).toBe(2000 + people.length);
    const exact = await EmbeddedIndex.open({ dims: 512, ann: false });
    await exact.upsert([...crowd.slice(0, 2000), ...people]);
    for (const face of faces) {
      const close = (await exact.search(face.vector, 10, filter)).filter((h) => h.score >= 0.3);
      expect((await ann.search(face.vector, close.length, filter)).map((h) => h.id)).toEqual(close.map((h) => h.id));
    }
    await Promise.all([ann.close(), exact.close()]);
  });

  it("loads a gallery with one build over all its rows, and erasure removes a person's codes", async () => {
    const people = faces.map((f, i) => ({ id: `${f.person}-${i}`, subject: f.person, vector: f.vector, ...filter }));
    // How a gallery loads at start: every row first, then one build (not one at row 1,000 and the rest after).
    const index = await EmbeddedIndex.open({ dims: 512, ann: { minTemplates: 1000 } });
    await index.upsertAll([...crowd, ...people]);
    expect(index.annState(filter)).toBe("building");
    await index.annReady();
    expect(index.annFittedRows(filter)).toBe(crowd.length + people.length);
    const erased = (faces[0] as FaceVector).person;
    await index.deleteSubject("acme", erased);
    expect((await index.search((faces[0] as FaceVector).vector, 5, filter)).map((h) => h.subject)).not.toContain(erased);
    expect(index.annCodes(filter)).toBe(crowd.length + people.filter((p) => p.subject !== erased).length);
    await index.close();
  });
});
