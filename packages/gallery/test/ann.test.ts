import { appendFileSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { l2normalise } from "@facerec/common";
import { describeWithShared, gaussianNoise } from "@facerec/testkit";
import { beforeAll, expect, it } from "vitest";
import { DEFAULT_THRESHOLD_OPTIONS, EmbeddedIndex, type IndexPoint, SubjectThresholds, type VectorIndex } from "../src/index.js";
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

  it("saves the subject centroids' graph in its folder and loads it at the next start", async () => {
    const graphs = mkdtempSync(join(tmpdir(), "centroid-graphs-"));
    // Each face its own subject among 1,200 strangers: one centroid each.
    const people = faces.map((f, i) => ({ id: `${f.person}-${i}`, subject: `${f.person}-${i}`, vector: f.vector, ...filter }));
    const rows = [...crowd.slice(0, 1200), ...people];
    const templates = await EmbeddedIndex.open({ dims: 512, ann: false });
    await templates.upsert(rows);
    const subjects = rows.map((p) => p.subject);
    const snapshots = () => readdirSync(graphs, { recursive: true }).filter((f) => String(f).endsWith(".usearch"));
    const start = async () => {
      const t = await SubjectThresholds.create(
        templates,
        filter,
        512,
        { ...DEFAULT_THRESHOLD_OPTIONS, global: 0.5 },
        { minTemplates: 1000 },
        graphs,
      );
      await t.rebuild(subjects);
      await t.graphsReady();
      return t;
    };
    const first = await start();
    expect(first.centroidGraphOrigin()).toBe("build");
    const before = await Promise.all(faces.map((f) => first.searchCentroids(f.vector, 3)));
    await first.close();
    const second = await start();
    expect(second.centroidGraphOrigin()).toBe("snapshot");
    expect(await Promise.all(faces.map((f) => second.searchCentroids(f.vector, 3)))).toEqual(before);
    // An erased subject's centroid leaves no snapshot behind it (the next close saves one again).
    expect(snapshots()).toHaveLength(1);
    await templates.deleteSubject("acme", people[0]?.subject as string);
    await second.refresh([people[0]?.subject as string]);
    expect(snapshots()).toEqual([]);
    await second.close();
    await templates.close();
  });

  it("saves its graph with the index and loads it at the next open, with the changes made since", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ann-snapshot-"));
    const people = faces.map((f, i) => ({ id: `${f.person}-${i}`, subject: f.person, vector: f.vector, ...filter }));
    const first = await EmbeddedIndex.open({ dir, dims: 512, ann: { minTemplates: 1000 } });
    await first.upsert(crowd);
    await first.graphsReady();
    expect(first.graphOrigin(filter)).toBe("build");
    // Changes after the build: in the log, and in the graph file only once it is saved at close.
    await first.upsert(people.slice(0, 5));
    await first.close();

    const second = await EmbeddedIndex.open({ dir, dims: 512, ann: { minTemplates: 1000 } });
    await second.graphsReady();
    expect(second.graphOrigin(filter)).toBe("snapshot");
    expect(second.graphState(filter)).toBe("ready");
    // A process that stops without closing: these reach the log, not the graph file (a new row, and a
    // row whose vector changed).
    const moved = crowd[0] as IndexPoint;
    await second.upsert([...people.slice(5), { ...moved, vector: (faces[0] as FaceVector).vector }]);

    const third = await EmbeddedIndex.open({ dir, dims: 512, ann: { minTemplates: 1000 } });
    await third.graphsReady();
    expect(third.graphOrigin(filter)).toBe("snapshot");
    const exact = await EmbeddedIndex.open({ dims: 512, ann: false });
    await exact.upsert([...crowd.slice(1), ...people, { ...moved, vector: (faces[0] as FaceVector).vector }]);
    // The same close matches (sorted: the moved row ties with the face it copies).
    for (const face of faces) {
      const close = (await exact.search(face.vector, 10, filter)).filter((h) => h.score >= 0.3);
      const found = await third.search(face.vector, close.length, filter);
      expect(found.map((h) => h.id).sort()).toEqual(close.map((h) => h.id).sort());
    }
    expect((await third.search((faces[0] as FaceVector).vector, 3, filter)).map((h) => h.id)).toContain(moved.id);
    await Promise.all([third.close(), exact.close(), second.close()]);

    // A damaged graph file is not loaded: the graph is built again, with a warning.
    const graphs = join(dir, "graphs");
    const file = readdirSync(graphs).find((f) => f.endsWith(".usearch")) as string;
    appendFileSync(join(graphs, file), "torn");
    const warnings: string[] = [];
    const listen = (w: Error) => warnings.push(w.message);
    process.on("warning", listen);
    const fourth = await EmbeddedIndex.open({ dir, dims: 512, ann: { minTemplates: 1000 } });
    await fourth.graphsReady();
    await new Promise((resolve) => setImmediate(resolve));
    process.off("warning", listen);
    expect(fourth.graphOrigin(filter)).toBe("build");
    expect(warnings.join("\n")).toMatch(/not used and the graph is built: its graph file does not match its checksum/);
    await fourth.close();
    // The build saved a whole graph again.
    const fifth = await EmbeddedIndex.open({ dir, dims: 512, ann: { minTemplates: 1000 } });
    await fifth.graphsReady();
    expect(fifth.graphOrigin(filter)).toBe("snapshot");
    await fifth.close();
  });

  it("loads a gallery with one graph over all its rows, and erasure takes the saved graph with it", async () => {
    const graphs = mkdtempSync(join(tmpdir(), "ann-graphs-"));
    const people = faces.map((f, i) => ({ id: `${f.person}-${i}`, subject: f.person, vector: f.vector, ...filter }));
    // How a gallery loads at start: every row first, then one graph (not one at row 1,000 and the rest after).
    const first = await EmbeddedIndex.open({ dims: 512, graphs, ann: { minTemplates: 1000 } });
    await first.upsertAll([...crowd, ...people]);
    expect(first.graphState(filter)).toBe("building");
    await first.graphsReady();
    expect(first.graphOrigin(filter)).toBe("build");
    expect(
      readdirSync(graphs)
        .sort()
        .map((f) => f.replace(/^[0-9a-f]+/, "P")),
    ).toEqual(["P.json", "P.usearch"]);
    await first.close();

    const second = await EmbeddedIndex.open({ dims: 512, graphs, ann: { minTemplates: 1000 } });
    await second.upsertAll([...crowd, ...people]);
    await second.graphsReady();
    expect(second.graphOrigin(filter)).toBe("snapshot");
    // Erasing a person removes the saved graph at once (its file holds their vectors) ...
    const erased = (faces[0] as FaceVector).person;
    await second.deleteSubject("acme", erased);
    expect(readdirSync(graphs)).toEqual([]);
    expect((await second.search((faces[0] as FaceVector).vector, 5, filter)).map((h) => h.subject)).not.toContain(erased);
    // ... and closing saves one without them.
    await second.close();
    const third = await EmbeddedIndex.open({ dims: 512, graphs, ann: { minTemplates: 1000 } });
    await third.upsertAll([...crowd, ...people.filter((p) => p.subject !== erased)]);
    await third.graphsReady();
    expect(third.graphOrigin(filter)).toBe("snapshot");
    await third.close();
  });
});
