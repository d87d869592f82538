/**
 * `pnpm bench [--quick]`: every benchmark, each in its own process so that one's memory and threads do
 * not disturb the next; prints one table of the headline figures, each next to the comparison measured
 * in the same run, and writes everything to bench/results.json. Bounded: each benchmark is stopped
 * past its limit (LIMIT_S); about 15 minutes in all, or 6 with --quick once the LFW embeddings are
 * cached. The index benchmark runs at 10k and 100k here; its 1M row takes about 30 minutes on its own
 * (`node bench/dist/index-search.js --sizes 1000000 --identities-only`).
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { table } from "./timing.js";

const quick = process.argv.includes("--quick");
const benches = ["embedder", "detect", "gateway", "index-search", "pipeline", "consistency"] as const;
/**
 * Seconds each benchmark may run, quick and full: the index benchmark embeds 4,500 LFW photos on a cold
 * cache and builds 100k distinct identities' code index.
 */
const LIMIT_S: Record<(typeof benches)[number], [number, number]> = {
  embedder: [180, 600],
  detect: [120, 600],
  gateway: [120, 600],
  "index-search": [600, 900],
  pipeline: [120, 600],
  consistency: [120, 600],
};
/** Arguments a benchmark takes beyond --json and --quick. */
const EXTRA: Partial<Record<(typeof benches)[number], string[]>> = { "index-search": ["--sizes", "10000,100000"] };
type Results = Record<(typeof benches)[number], Record<string, unknown>>;

const results = {} as Results;
const seconds: Record<string, number> = {};
let failed = false;
for (const bench of benches) {
  const script = fileURLToPath(new URL(`${bench}.js`, import.meta.url));
  process.stderr.write(`running ${bench}${quick ? " (quick)" : ""}...\n`);
  const started = performance.now();
  const run = spawnSync(process.execPath, [script, "--json", ...(quick ? ["--quick"] : []), ...(EXTRA[bench] ?? [])], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: LIMIT_S[bench][quick ? 0 : 1] * 1000,
  });
  seconds[bench] = Number(((performance.now() - started) / 1000).toFixed(1));
  const last = run.stdout.trim().split("\n").at(-1) ?? "";
  if (run.status !== 0 || !last.startsWith("{")) {
    process.stderr.write(`${bench} failed (exit ${run.status ?? run.signal})\n`);
    failed = true;
    continue;
  }
  results[bench] = JSON.parse(last);
}

type Row = Record<string, number | string>;
const mib = (bytes: unknown) => `${Math.round(Number(bytes) / 2 ** 20)} MiB`;
const rows: (string | number)[][] = [];
const e = results.embedder as
  | {
      rows: Row[];
      tuned: {
        choice: string;
        pipeline_faces_per_s: number;
        best_raw_config: string;
        best_raw_faces_per_s: number;
        over_best_raw: number;
      };
      precision: Row[];
      int8_over_fp32: number;
      peak_rss_bytes: number;
    }
  | undefined;
const batch8 = e?.rows.find((r) => r.batch === 8 && String(r.config).startsWith("opt=extended threads=default"));
if (e && batch8) {
  rows.push([
    "engine embedding, batch 8 (faces/s)",
    batch8.pipeline_faces_per_s as number,
    `raw ORT ${batch8.raw_faces_per_s}`,
    batch8.ratio as number,
    mib(e.peak_rss_bytes),
  ]);
  rows.push([
    `  engine's own graph level (${e.tuned.choice}), batch 8`,
    e.tuned.pipeline_faces_per_s,
    `best raw ${e.tuned.best_raw_faces_per_s} (${e.tuned.best_raw_config})`,
    e.tuned.over_best_raw,
    "",
  ]);
  const int8 = e.precision.find((r) => r.provider === "cpu" && r.batch === 8);
  if (int8)
    rows.push([
      "  int8 embedder, batch 8 (faces/s)",
      int8.int8_faces_per_s as number,
      `fp32 ${int8.fp32_faces_per_s}`,
      e.int8_over_fp32,
      "",
    ]);
}
const d = results.detect as Row | undefined;
if (d) {
  rows.push([
    "detection 640x480 (frames/s)",
    d.detect_frames_per_s as number,
    `raw ORT ${d.raw_frames_per_s}`,
    d.detect_over_raw as number,
    mib(d.peak_rss_bytes),
  ]);
  rows.push([
    "edge detector on a 640x480 stream (frames/s)",
    d.edge_frames_per_s as number,
    `raw detector ${d.raw_frames_per_s}`,
    d.edge_over_raw as number,
    "",
  ]);
}
const g = results.gateway as { rows: Row[]; subjects: number; rest_over_engine: number; peak_rss_bytes: number } | undefined;
if (g) {
  const [engine, rest] = g.rows;
  rows.push([
    `identify over REST, ${g.subjects} subjects (p50/p99 ms)`,
    `${rest?.p50_ms}/${rest?.p99_ms}`,
    `engine ${engine?.p50_ms}/${engine?.p99_ms}`,
    g.rest_over_engine,
    mib(g.peak_rss_bytes),
  ]);
}
const x = results["index-search"] as { rows: Row[]; peak_rss_bytes: number } | undefined;
const at100k = x?.rows.find((r) => r.templates === 100_000 && r.population === "identities");
if (x && at100k) {
  rows.push([
    "index search, 100k distinct identities, exact (p50/p99 ms)",
    `${at100k.exact_p50_ms}/${at100k.exact_p99_ms}`,
    `recall@10 ${at100k.exact_recall_at_10} vs exact float64`,
    "-",
    mib(x.peak_rss_bytes),
  ]);
  rows.push([
    "  same, code index re-scored (p50/p99 ms)",
    `${at100k.p50_ms}/${at100k.p99_ms}`,
    `decisions agree ${at100k.decisions_agree}; strangers' recall@10 ${at100k.recall_at_10}`,
    at100k.exact_over_ann_p99 as number,
    "",
  ]);
  rows.push([
    "  enrolled people found first, exact / codes",
    `${at100k.mated_first_exact} / ${at100k.mated_first_ann}`,
    `${at100k.mated_probes} real mated pairs among the identities`,
    "-",
    "",
  ]);
}
const p = results.pipeline as
  | {
      bare_engine_faces_per_s: number;
      pipeline_over_bare: number;
      cpu_ms_per_face: number;
      bare_cpu_ms_per_face: number;
      cpu_per_face_over_bare: number;
      saturated: Row;
      steady: Row;
      peak_rss_bytes: number;
    }
  | undefined;
if (p) {
  rows.push([
    "distributed, 10 cameras saturated (faces/s)",
    p.saturated.faces_per_s as number,
    `bare engine ${p.bare_engine_faces_per_s}; mean batch ${p.saturated.mean_batch}`,
    p.pipeline_over_bare,
    mib(p.peak_rss_bytes),
  ]);
  rows.push([
    "  CPU a face, every distributed process (ms)",
    p.cpu_ms_per_face,
    `bare engine ${p.bare_cpu_ms_per_face}`,
    p.cpu_per_face_over_bare,
    "",
  ]);
  rows.push([
    `distributed, steady ${p.steady.faces_per_s}/s (frame to event p50/p99 ms)`,
    `${p.steady.p50_ms}/${p.steady.p99_ms}`,
    `saturated ${p.saturated.p50_ms}/${p.saturated.p99_ms}`,
    "-",
    "",
  ]);
}
const c = results.consistency as { rows: Row[]; background_subjects: number; peak_rss_bytes: number } | undefined;
for (const r of c?.rows ?? []) {
  rows.push([
    `replicas: ${r.change}, after ack (p50/p99 ms)`,
    `${r.seen_p50_ms}/${r.seen_p99_ms}`,
    `the write on A ${r.write_p50_ms}/${r.write_p99_ms}`,
    "-",
    r === c?.rows[0] ? mib(c.peak_rss_bytes) : "",
  ]);
}
console.log(table(["figure", "measured", "compared with (same run)", "ratio", "peak RSS"], rows));
const out = fileURLToPath(new URL("../results.json", import.meta.url));
writeFileSync(out, `${JSON.stringify({ quick, date: new Date().toISOString(), seconds, results }, null, 2)}\n`);
console.log(
  `\nall figures in ${out}; ran ${Object.values(seconds)
    .reduce((a, b) => a + b, 0)
    .toFixed(0)} s`,
);
process.exitCode = failed ? 1 : 0;
