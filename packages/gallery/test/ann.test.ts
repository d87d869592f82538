import { describeWithShared, gaussianNoise } from "@facerec/testkit";
import { l2normalise } from "@facerec/vision";
import { beforeAll, expect, it } from "vitest";
import { EmbeddedIndex, type IndexPoint, type VectorIndex } from "../src/index.js";
import { vectorIndexConformance } from "./conformance.js";
import { type FaceVector, knnTrainVectors } from "./faces.js";

/** The approximate index with a graph from the first point, waiting for it after each change. */
async function annEverywhere(): Promise<VectorIndex> {
  const index = await EmbeddedIndex.open({ dims: 512, ann: { minTemplates: 0 } });
  const settled =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const result = await call(...args);
      await index.graphsReady();
      expect(index.graphState({ tenant: "acme", model: "arcface512" })).toBe("ready");
      return result;
    };
  return Object.assign(Object.create(index) as EmbeddedIndex, {
    upsert: settled(index.upsert.bind(index)),
    delete: settled(index.delete.bind(index)),
    deleteSubject: settled(index.deleteSubject.bind(index)),
  });
}

vectorIndexConformance("embedded index, approximate (HNSW graph from the first point)", annEverywhere, async () => undefined);

describeWithShared("embedded index with a graph", () => {
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
    await ann.graphsReady();
    expect(ann.graphState(filter)).toBe("ready");
    expect(exact.graphState(filter)).toBe("none");
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
    // The other photos of the same people are among them, through the graph.
    expect(mates).toBeGreaterThanOrEqual(6);
    await Promise.all([exact.close(), ann.close()]);
  });

  it("applies the changes made while its graph was being built", async () => {
    const ann = await EmbeddedIndex.open({ dims: 512, ann: { minTemplates: 1000 } });
    await ann.upsert(crowd);
    expect(ann.graphState(filter)).toBe("building");
    const [gone, moved] = crowd as [IndexPoint, IndexPoint];
    const newcomer = faces[0] as FaceVector;
    await ann.delete(filter, [gone.id]);
    await ann.upsert([{ ...moved, vector: newcomer.vector }]);
    // Meanwhile searches are exact, so they already see both changes.
    expect((await ann.search(gone.vector, 1, filter))[0]?.id).not.toBe(gone.id);
    await ann.graphsReady();
    expect(ann.graphState(filter)).toBe("ready");
    expect((await ann.search(gone.vector, 5, filter)).map((h) => h.id)).not.toContain(gone.id);
    const found = await ann.search(newcomer.vector, 1, filter);
    expect(found[0]?.id).toBe(moved.id);
    expect(found[0]?.score).toBeCloseTo(1, 5);
    await ann.close();
  });

  it("keeps tenants apart: a small tenant is searched exactly, never through a large tenant's graph", async () => {
    const ann = await EmbeddedIndex.open({ dims: 512, ann: { minTemplates: 1000 } });
    await ann.upsert(crowd);
    const small = { tenant: "globex", model: filter.model };
    await ann.upsert([{ id: "g1", subject: "g1", vector: (faces[1] as FaceVector).vector, ...small }]);
    await ann.graphsReady();
    expect(ann.graphState(small)).toBe("none");
    const hits = await ann.search((faces[1] as FaceVector).vector, 10, small);
    expect(hits.map((h) => h.id)).toEqual(["g1"]);
    await ann.close();
  });
});
