/**
 * Embedded index search, exact and approximate: latency p50/p99 at 10k, 100k and 1M templates of real
 * 512-d embeddings (LFW faces plus perturbed copies of them), recall@10 (the exact index against a
 * float64 brute force, the approximate one against the exact one on every probe), graph build time, the
 * time a restart takes to load every row and the saved graph, and resident memory per template of each.
 * Beside those strangers' probes, mated probes: 500 people from the other end of LFW enrolled with one
 * photo among the copies and searched with another, to count how often each index puts the person first.
 *
 *   node bench/dist/index-search.js [--quick] [--json]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_ANN_OPTIONS, EmbeddedIndex } from "@facerec/gallery";
import { percentile, table, timeRuns } from "./timing.js";
import { lfwEmbeddings, lfwMates, noiseSource, perturb } from "./vectors.js";

const quick = process.argv.includes("--quick");
const asJson = process.argv.includes("--json");
const sizes = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
const queries = quick ? 50 : 200;

function bruteForceTop(matrix: Float32Array[], q: Float32Array, k: number): number[] {
  const scores = matrix.map((v, i) => {
    let dot = 0;
    for (let j = 0; j < v.length; j++) dot += (v[j] as number) * (q[j] as number);
    return [dot, i] as const;
  });
  return scores
    .sort((a, b) => b[0] - a[0])
    .slice(0, k)
    .map(([, i]) => i);
}

type Index = EmbeddedIndex;
const filter = { tenant: "bench", model: "arcface512" };

async function fill(index: Index, vectors: Float32Array[]): Promise<number> {
  const before = process.memoryUsage().rss;
  for (let i = 0; i < vectors.length; i += 10_000) {
    await index.upsert(
      vectors.slice(i, i + 10_000).map((vector, j) => ({ id: `t${i + j}`, subject: `s${(i + j) % 50_000}`, vector, ...filter })),
    );
  }
  await index.graphsReady();
  return (process.memoryUsage().rss - before) / vectors.length;
}

async function latency(index: Index, probes: Float32Array[]): Promise<number[]> {
  let p = 0;
  return timeRuns(() => index.search(probes[p++ % probes.length] as Float32Array, 10, filter), {
    minRuns: queries,
    minMs: quick ? 1000 : 3000,
  });
}

async function main(): Promise<void> {
  const real = await lfwEmbeddings(quick ? 1000 : 4000);
  const held = real.splice(0, queries);
  const mates = await lfwMates(500);
  const gauss = noiseSource(42);
  const rows = [];
  for (const size of sizes) {
    const vectors = Array.from({ length: size }, (_, i) => {
      const base = real[i % real.length] as Float32Array;
      return i < real.length ? base : perturb(base, 0.6, gauss);
    });
    // The mates' enrolment photos take the last rows: mate j is template t<mateAt + j>.
    const mateAt = size - mates.length;
    for (const [j, m] of mates.entries()) vectors[mateAt + j] = m.enrolled;
    const probes = held.map((q) => perturb(q, 0.3, gauss));
    const exact = await EmbeddedIndex.open({ dims: 512, ann: false });
    const exactRss = await fill(exact, vectors);
    const exactTimes = await latency(exact, probes);
    // The exact index against a float64 brute force (slow in JavaScript: a few probes at 1M).
    let recall = 0;
    const checked = Math.min(size >= 1_000_000 ? 5 : 20, probes.length);
    for (const q of probes.slice(0, checked)) {
      const truth = new Set(bruteForceTop(vectors, q, 10).map((i) => `t${i}`));
      const got = await exact.search(q, 10, filter);
      recall += got.filter((h) => truth.has(h.id)).length / 10;
    }
    const built = performance.now();
    // Its graph is saved in a folder, so a restart can be timed below.
    const dir = mkdtempSync(join(tmpdir(), "bench-index-"));
    const ann = await EmbeddedIndex.open({ graphs: dir, dims: 512, ann: { minTemplates: 0 } });
    const annRss = await fill(ann, vectors);
    const buildSeconds = (performance.now() - built) / 1000;
    const annTimes = await latency(ann, probes);
    // The approximate index against the exact one, on every probe: recall@10 and the same best match.
    let annRecall = 0;
    let sameTop1 = 0;
    for (const q of probes) {
      const truth = await exact.search(q, 10, filter);
      const got = await ann.search(q, 10, filter);
      const ids = new Set(truth.map((h) => h.id));
      annRecall += got.filter((h) => ids.has(h.id)).length / truth.length;
      if (got[0]?.id === truth[0]?.id) sameTop1++;
    }
    // Mated probes: is the person first, in each index, and do the two agree?
    let exactFound = 0;
    let annFound = 0;
    let sameMated = 0;
    for (const [j, m] of mates.entries()) {
      const want = `t${mateAt + j}`;
      const e = (await exact.search(m.probe, 1, filter))[0]?.id;
      const a = (await ann.search(m.probe, 1, filter))[0]?.id;
      if (e === want) exactFound++;
      if (a === want) annFound++;
      if (a === e) sameMated++;
    }
    // A restart as the product's gallery makes one: close (saving the graph), open again with every row
    // (as the gallery store gives them), searchable once the saved graph is loaded.
    const closing = performance.now();
    await ann.close();
    const saveSeconds = (performance.now() - closing) / 1000;
    const reopening = performance.now();
    const reopened = await EmbeddedIndex.open({ graphs: dir, dims: 512, ann: { minTemplates: 0 } });
    await reopened.upsertAll(vectors.map((vector, i) => ({ id: `t${i}`, subject: `s${i % 50_000}`, vector, ...filter })));
    await reopened.graphsReady();
    const reopenSeconds = (performance.now() - reopening) / 1000;
    if (reopened.graphOrigin(filter) !== "snapshot") throw new Error("the reopened index built its graph instead of loading it");
    const reopenedRecall = (await reopened.search(probes[0] as Float32Array, 10, filter))[0]?.id;
    if (reopenedRecall !== (await exact.search(probes[0] as Float32Array, 10, filter))[0]?.id)
      throw new Error("the reopened index lost a probe's best match");
    await reopened.close();
    rmSync(dir, { recursive: true, force: true });
    const ms = (times: number[], p: number) => Number(percentile(times, p).toFixed(2));
    rows.push({
      templates: size,
      p50_ms: ms(exactTimes, 50),
      p99_ms: ms(exactTimes, 99),
      recall_at_10: Number((recall / checked).toFixed(4)),
      bytes_per_template: Math.round(exact.bytesPerVector()),
      rss_bytes_per_template: Math.round(exactRss),
      ann_p50_ms: ms(annTimes, 50),
      ann_p99_ms: ms(annTimes, 99),
      ann_recall_at_10: Number((annRecall / probes.length).toFixed(4)),
      ann_same_top1: Number((sameTop1 / probes.length).toFixed(4)),
      mated_probes: mates.length,
      mated_rank1_exact: Number((exactFound / mates.length).toFixed(4)),
      mated_rank1_ann: Number((annFound / mates.length).toFixed(4)),
      mated_same_top1: Number((sameMated / mates.length).toFixed(4)),
      ann_build_s: Number(buildSeconds.toFixed(1)),
      ann_save_s: Number(saveSeconds.toFixed(1)),
      ann_reopen_s: Number(reopenSeconds.toFixed(1)),
      ann_rss_bytes_per_template: Math.round(annRss),
      exact_over_ann_p99: Number((percentile(exactTimes, 99) / percentile(annTimes, 99)).toFixed(1)),
    });
    await exact.close();
  }
  if (asJson) {
    process.stdout.write(
      `${JSON.stringify({ real_embeddings: real.length + held.length, ann: DEFAULT_ANN_OPTIONS, rows, peak_rss_bytes: process.resourceUsage().maxRSS * 1024 })}\n`,
    );
    return;
  }
  console.log(
    `embedded index, ${real.length + held.length} real LFW embeddings plus perturbed copies; exact: ONNX Runtime GEMM + TopK; approximate: HNSW (USearch, ${DEFAULT_ANN_OPTIONS.quantization}) shortlist re-scored exactly`,
  );
  console.log(
    table(
      [
        "templates",
        "exact p50/p99 ms",
        "recall@10 vs float64",
        "ANN p50/p99 ms",
        "ANN recall@10 vs exact",
        "same top-1",
        "mated rank-1 exact / ANN (same)",
        "ANN build s",
        "save / reopen s",
        "RSS B/template exact",
        "RSS B/template ANN",
      ],
      rows.map((r) => [
        r.templates,
        `${r.p50_ms}/${r.p99_ms}`,
        r.recall_at_10,
        `${r.ann_p50_ms}/${r.ann_p99_ms}`,
        r.ann_recall_at_10,
        r.ann_same_top1,
        `${r.mated_rank1_exact} / ${r.mated_rank1_ann} (${r.mated_same_top1})`,
        r.ann_build_s,
        `${r.ann_save_s} / ${r.ann_reopen_s}`,
        r.rss_bytes_per_template,
        r.ann_rss_bytes_per_template,
      ]),
    ),
  );
}

await main();
