/**
 * Embedded index search: latency p50/p99 and recall@10 at 10k, 100k and 1M templates of real 512-d
 * embeddings (LFW faces plus perturbed copies of them), and memory per template. Recall is measured
 * against a float64 brute-force search of the same vectors.
 *
 *   node bench/dist/index-search.js [--quick] [--json]
 */
import { EmbeddedIndex } from "@facerec/gallery";
import { percentile, table, timeRuns } from "./timing.js";
import { lfwEmbeddings, noiseSource, perturb } from "./vectors.js";

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

async function main(): Promise<void> {
  const real = await lfwEmbeddings(quick ? 1000 : 4000);
  const held = real.splice(0, queries);
  const gauss = noiseSource(42);
  const rows = [];
  for (const size of sizes) {
    const vectors = Array.from({ length: size }, (_, i) => {
      const base = real[i % real.length] as Float32Array;
      return i < real.length ? base : perturb(base, 0.6, gauss);
    });
    const before = process.memoryUsage().rss;
    const index = await EmbeddedIndex.open({ dims: 512 });
    const filter = { tenant: "bench", model: "arcface512" };
    for (let i = 0; i < size; i += 10_000) {
      await index.upsert(
        vectors
          .slice(i, i + 10_000)
          .map((vector, j) => ({ id: `t${i + j}`, subject: `s${(i + j) % 50_000}`, vector, ...filter })),
      );
    }
    const rssPerTemplate = (process.memoryUsage().rss - before) / size;
    const probes = held.map((q) => perturb(q, 0.3, gauss));
    let p = 0;
    const times = await timeRuns(() => index.search(probes[p++ % probes.length] as Float32Array, 10, filter), {
      minRuns: queries,
      minMs: quick ? 1000 : 3000,
    });
    let recall = 0;
    const checked = Math.min(size >= 1_000_000 ? 5 : 20, probes.length);
    for (const q of probes.slice(0, checked)) {
      const truth = new Set(bruteForceTop(vectors, q, 10).map((i) => `t${i}`));
      const got = await index.search(q, 10, filter);
      recall += got.filter((h) => truth.has(h.id)).length / 10;
    }
    rows.push({
      templates: size,
      p50_ms: Number(percentile(times, 50).toFixed(2)),
      p99_ms: Number(percentile(times, 99).toFixed(2)),
      recall_at_10: Number((recall / checked).toFixed(4)),
      bytes_per_template: Math.round(index.bytesPerVector()),
      rss_bytes_per_template: Math.round(rssPerTemplate),
    });
    await index.close();
  }
  if (asJson) {
    process.stdout.write(
      `${JSON.stringify({ real_embeddings: real.length + held.length, rows, peak_rss_bytes: process.resourceUsage().maxRSS * 1024 })}\n`,
    );
    return;
  }
  console.log(
    `embedded index, exact search (ONNX Runtime GEMM + TopK), ${real.length + held.length} real LFW embeddings plus perturbed copies`,
  );
  console.log(
    table(
      ["templates", "p50 ms", "p99 ms", "recall@10", "matrix bytes/template", "RSS bytes/template"],
      rows.map((r) => [r.templates, r.p50_ms, r.p99_ms, r.recall_at_10, r.bytes_per_template, r.rss_bytes_per_template]),
    ),
  );
}

await main();
