/**
 * The review queue under load: the time to place one unknown face (clustering included) as the queue
 * grows to `faces` faces of strangers seen several times each, and the time to list its clusters, on
 * both stores (local files; PostgreSQL started for the run, or DATABASE_URL). Faces are real LFW
 * embeddings of distinct people (one photo each), each seen five times as perturbed copies (about
 * 0.55 cosine between two sightings, as two photos of one person are).
 *
 *   node bench/dist/review.js [--quick] [--json]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_CLUSTER_OPTIONS, FileReviewStore, PgReviewStore, type ReviewStore } from "@facerec/gallery";
import { Database } from "@facerec/storage";
import { createDatabase, postgresServer } from "@facerec/testkit/servers";
import { percentile, table } from "./timing.js";
import { lfwPeople, noiseSource, perturb } from "./vectors.js";

const quick = process.argv.includes("--quick");
const asJson = process.argv.includes("--json");
const faces = quick ? 2000 : 10_000;
const people = faces / 5;
/** Where the add latency is reported: the queue's size when the block of adds ending there ran. */
const marks = quick ? [500, 1000, 2000] : [1000, 5000, 10_000];

interface Row {
  store: string;
  at: number;
  add_p50_ms: number;
  add_p99_ms: number;
}

async function load(
  name: string,
  store: ReviewStore,
  sightings: Float32Array[],
): Promise<{ rows: Row[]; list_ms: number; clusters: number }> {
  const rows: Row[] = [];
  let block: number[] = [];
  for (const [i, vector] of sightings.entries()) {
    const started = performance.now();
    await store.add({
      id: `f${i}`,
      tenant: "bench",
      camera: `cam${i % 10}`,
      model: "arcface512",
      time: new Date(Date.UTC(2026, 11, 1) + i * 1000).toISOString(),
      vector,
      quality: 1,
      outcome: "unknown",
      candidates: [],
    });
    block.push(performance.now() - started);
    if (marks.includes(i + 1)) {
      rows.push({ store: name, at: i + 1, add_p50_ms: percentile(block, 50), add_p99_ms: percentile(block, 99) });
      block = [];
    }
  }
  const started = performance.now();
  const page = await store.clusters("bench", 100, 0);
  return { rows, list_ms: performance.now() - started, clusters: page.total };
}

async function main(): Promise<void> {
  const identities = await lfwPeople(people);
  const gauss = noiseSource(20261202);
  // Sightings arrive mixed: person k's j-th sighting at position j * people + k.
  const sightings: Float32Array[] = [];
  for (let j = 0; j < faces / identities.length; j++) for (const v of identities) sightings.push(perturb(v, 0.9, gauss));

  const file = await load(
    "files",
    FileReviewStore.open(mkdtempSync(join(tmpdir(), "bench-review-")), DEFAULT_CLUSTER_OPTIONS),
    sightings,
  );
  const server = process.env.DATABASE_URL ? undefined : await postgresServer();
  const db = await Database.connect(createDatabase(process.env.DATABASE_URL ?? (server as { url: string }).url));
  const pg = await load("postgres", new PgReviewStore(db, DEFAULT_CLUSTER_OPTIONS), sightings);
  await db.close();
  await server?.stop();

  const result = {
    faces: sightings.length,
    people: identities.length,
    rows: [...file.rows, ...pg.rows],
    list_ms: { files: file.list_ms, postgres: pg.list_ms },
    clusters: { files: file.clusters, postgres: pg.clusters },
  };
  if (asJson) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  process.stdout.write(
    `Review queue: ${result.faces} faces of ${result.people} people, arriving mixed; ${file.clusters} clusters (files), ${pg.clusters} (PostgreSQL)\n`,
  );
  process.stdout.write(
    table(
      ["store", "queue size", "add p50 ms", "add p99 ms"],
      result.rows.map((r) => [r.store, String(r.at), r.add_p50_ms.toFixed(2), r.add_p99_ms.toFixed(2)]),
    ),
  );
  process.stdout.write("\n");
  process.stdout.write(
    `listing the newest 100 clusters: ${file.list_ms.toFixed(1)} ms (files), ${pg.list_ms.toFixed(1)} ms (PostgreSQL)\n`,
  );
}

await main();
