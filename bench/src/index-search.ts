/**
 * Embedded index search, exact and approximate, at 10k, 100k and 1M templates of distinct people
 * ("identities": synthetic identities drawn from a Gaussian fitted to real LFW people, see
 * identitySampler), and a stress row of near-copies (perturbed copies of a few thousand real faces,
 * dense clouds no real gallery holds). In each, 500 real mated pairs: one photo enrolled, the other
 * searched, to count how often each index puts the person first; real strangers searched for latency,
 * recall@10 against exact search, and whether the product's decision at its threshold for that many
 * subjects (the target 1e-3) is the same with either index. Also the code index's build time (a
 * restart builds it again) and resident memory per template.
 *
 *   node bench/dist/index-search.js [--quick] [--json] [--sizes 1000000] [--identities-only]
 */
import {
  DEFAULT_ANN_OPTIONS,
  DEFAULT_TARGET,
  EmbeddedIndex,
  type SubjectTail,
  subjectTailOf,
  thresholdForTarget,
} from "@facerec/gallery";
import { ModelCatalogue } from "@facerec/vision";
import { percentile, table, timeRuns } from "./timing.js";
import { identitySampler, lfwEmbeddings, lfwMates, lfwPeople, noiseSource, perturb } from "./vectors.js";

const quick = process.argv.includes("--quick");
const asJson = process.argv.includes("--json");
/** `--sizes 1000000` measures only those gallery sizes; `--identities-only` leaves out the near-copy stress row. */
const sizesFlag = process.argv[process.argv.indexOf("--sizes") + 1];
const sizes = process.argv.includes("--sizes")
  ? (sizesFlag ?? "").split(",").map(Number)
  : quick
    ? [10_000, 100_000]
    : [10_000, 100_000, 1_000_000];
const nearCopies = !process.argv.includes("--identities-only");
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

async function fill(index: Index, vectors: Float32Array[], subjectOf: (row: number) => string): Promise<number> {
  const before = process.memoryUsage().rss;
  for (let i = 0; i < vectors.length; i += 10_000) {
    await index.upsert(
      vectors.slice(i, i + 10_000).map((vector, j) => ({ id: `t${i + j}`, subject: subjectOf(i + j), vector, ...filter })),
    );
  }
  await index.annReady();
  return (process.memoryUsage().rss - before) / vectors.length;
}

async function latency(index: Index, probes: Float32Array[]): Promise<number[]> {
  let p = 0;
  return timeRuns(() => index.search(probes[p++ % probes.length] as Float32Array, 10, filter), {
    minRuns: queries,
    minMs: quick ? 1000 : 3000,
  });
}

type Population = "identities" | "near-copies";

/** The gallery of one row: its vectors (the mates' enrolment photos last), their subjects, its probes. */
interface Gallery {
  vectors: Float32Array[];
  subjectOf: (row: number) => string;
  subjects: number;
  strangers: Float32Array[];
}

/** The best cosine of `q` among `vectors`. */
function nearest(vectors: readonly Float32Array[], q: Float32Array): number {
  let best = -1;
  for (const v of vectors) {
    let dot = 0;
    for (let j = 0; j < v.length; j++) dot += (v[j] as number) * (q[j] as number);
    if (dot > best) best = dot;
  }
  return best;
}

async function main(): Promise<void> {
  const real = await lfwEmbeddings(quick ? 1000 : 4000);
  const held = real.splice(0, queries);
  const mates = await lfwMates(500);
  // Distinct people: the Gaussian is fitted on the first photo of the first 3,000 LFW people; the next
  // ones are the strangers searched for. The mates are at the other end of the alphabet.
  const people = await lfwPeople(3000 + queries);
  const fitted = people.slice(0, 3000);
  const realStrangers = people.slice(3000);
  const draw = identitySampler(fitted);
  const synthetic = Array.from({ length: fitted.length }, draw);
  const nnSimilarity = {
    // A real stranger's nearest among 3,000 synthetic identities, and among the 3,000 real people.
    synthetic: Number((realStrangers.reduce((s, q) => s + nearest(synthetic, q), 0) / realStrangers.length).toFixed(3)),
    real: Number((realStrangers.reduce((s, q) => s + nearest(fitted, q), 0) / realStrangers.length).toFixed(3)),
  };
  const gauss = noiseSource(42);
  const model = ModelCatalogue.builtIn().resolve("embedder");
  const tail = subjectTailOf(model.thresholds) as SubjectTail;
  const galleryOf = (population: Population, size: number): Gallery => {
    const mateAt = size - mates.length;
    const vectors =
      population === "identities"
        ? Array.from({ length: size }, (_, i) => (i < mateAt ? draw() : (mates[i - mateAt] as (typeof mates)[0]).enrolled))
        : Array.from({ length: size }, (_, i) => {
            if (i >= mateAt) return (mates[i - mateAt] as (typeof mates)[0]).enrolled;
            const base = real[i % real.length] as Float32Array;
            return i < real.length ? base : perturb(base, 0.6, gauss);
          });
    return population === "identities"
      ? { vectors, subjectOf: (i) => `s${i}`, subjects: size, strangers: realStrangers }
      : {
          vectors,
          subjectOf: (i) => (i >= mateAt ? `s${i}` : `s${i % 50_000}`),
          subjects: Math.min(mateAt, 50_000) + mates.length,
          strangers: held.map((q) => perturb(q, 0.3, gauss)),
        };
  };
  const plan: [Population, number][] = [
    ...sizes.map((size): [Population, number] => ["identities", size]),
    ...(nearCopies ? [["near-copies", sizes.at(-1) as number] as [Population, number]] : []),
  ];
  const rows = [];
  for (const [population, size] of plan) {
    const { vectors, subjectOf, subjects, strangers } = galleryOf(population, size);
    const mateAt = size - mates.length;
    const upsert = (index: Index) => fill(index, vectors, subjectOf);
    const exact = await EmbeddedIndex.open({ dims: 512, ann: false });
    const exactRss = await upsert(exact);
    const exactTimes = await latency(exact, strangers);
    // The exact index against a float64 brute force (slow in JavaScript: a few probes at 1M).
    let recall = 0;
    const checked = Math.min(size >= 1_000_000 ? 5 : 20, strangers.length);
    for (const q of strangers.slice(0, checked)) {
      const truth = new Set(bruteForceTop(vectors, q, 10).map((i) => `t${i}`));
      const got = await exact.search(q, 10, filter);
      recall += got.filter((h) => truth.has(h.id)).length / 10;
    }
    const filled = performance.now();
    const ann = await EmbeddedIndex.open({ dims: 512, ann: { minTemplates: 0 } });
    const annRss = await upsert(ann);
    const fillSeconds = (performance.now() - filled) / 1000;
    const annTimes = await latency(ann, strangers);
    const annBytes = ann.bytesPerVector();
    // The product's decision at its threshold for this many subjects (target 1e-3), from each index's
    // best hit: the subject named, or unknown.
    const threshold = thresholdForTarget(tail, Number(DEFAULT_TARGET), subjects);
    const decision = (hit: { id: string; score: number } | undefined) =>
      hit && hit.score >= threshold ? subjectOf(Number(hit.id.slice(1))) : "unknown";
    // Strangers: recall@10 of the approximate index against the exact one (near-ties at low
    // similarity: printed, decides nothing), and whether both decide alike.
    let annRecall = 0;
    let agree = 0;
    for (const q of strangers) {
      const truth = await exact.search(q, 10, filter);
      const got = await ann.search(q, 10, filter);
      const ids = new Set(truth.map((h) => h.id));
      annRecall += got.filter((h) => ids.has(h.id)).length / truth.length;
      if (decision(got[0]) === decision(truth[0])) agree++;
    }
    // Mated probes: is the person first, in each index, and do the two decide alike?
    let exactFound = 0;
    let annFound = 0;
    for (const [j, m] of mates.entries()) {
      const want = `t${mateAt + j}`;
      const e = (await exact.search(m.probe, 1, filter))[0];
      const a = (await ann.search(m.probe, 1, filter))[0];
      if (e?.id === want) exactFound++;
      if (a?.id === want) annFound++;
      if (decision(a) === decision(e)) agree++;
    }
    // A restart as the product's gallery makes one: every row (as the gallery store gives them), then one
    // build of the codes over them; searchable once it is done.
    await ann.close();
    const reopening = performance.now();
    const reopened = await EmbeddedIndex.open({ dims: 512 });
    await reopened.upsertAll(vectors.map((vector, i) => ({ id: `t${i}`, subject: subjectOf(i), vector, ...filter })));
    const loadSeconds = (performance.now() - reopening) / 1000;
    await reopened.annReady();
    const buildSeconds = (performance.now() - reopening) / 1000 - loadSeconds;
    if (reopened.annState(filter) !== (size >= DEFAULT_ANN_OPTIONS.minTemplates ? "ready" : "none"))
      throw new Error(`the reopened index's code index is ${reopened.annState(filter)}`);
    const probe = strangers[0] as Float32Array;
    if ((await reopened.search(probe, 10, filter))[0]?.id !== (await exact.search(probe, 10, filter))[0]?.id)
      throw new Error("the reopened index lost a probe's best match");
    await reopened.close();
    const ms = (times: number[], p: number) => Number(percentile(times, p).toFixed(2));
    rows.push({
      population,
      templates: size,
      subjects,
      // The approximate index (the product's search at this size once over FACEREC_ANN_MIN_TEMPLATES).
      p50_ms: ms(annTimes, 50),
      p99_ms: ms(annTimes, 99),
      recall_at_10: Number((annRecall / strangers.length).toFixed(4)),
      mated_probes: mates.length,
      mated_first_exact: Number((exactFound / mates.length).toFixed(4)),
      mated_first_ann: Number((annFound / mates.length).toFixed(4)),
      threshold: Number(threshold.toFixed(4)),
      decisions_agree: Number((agree / (strangers.length + mates.length)).toFixed(4)),
      // The approximate index's memory a template: its full-precision row and its code.
      bytes_per_template: Math.round(annBytes),
      exact_p50_ms: ms(exactTimes, 50),
      exact_p99_ms: ms(exactTimes, 99),
      exact_recall_at_10: Number((recall / checked).toFixed(4)),
      rss_bytes_per_template: Math.round(exactRss),
      ann_fill_s: Number(fillSeconds.toFixed(1)),
      restart_load_s: Number(loadSeconds.toFixed(1)),
      restart_build_s: Number(buildSeconds.toFixed(1)),
      ann_rss_bytes_per_template: Math.round(annRss),
      exact_over_ann_p99: Number((percentile(exactTimes, 99) / percentile(annTimes, 99)).toFixed(1)),
    });
    await exact.close();
  }
  if (asJson) {
    process.stdout.write(
      `${JSON.stringify({ real_embeddings: real.length + held.length, nn_similarity: nnSimilarity, ann: DEFAULT_ANN_OPTIONS, rows, peak_rss_bytes: process.resourceUsage().maxRSS * 1024 })}\n`,
    );
    return;
  }
  console.log(
    `embedded index; "identities": distinct synthetic people from a Gaussian fitted to 3,000 real LFW people (a real stranger's nearest among 3,000 of them: ${nnSimilarity.synthetic}; among the 3,000 real people: ${nnSimilarity.real}); "near-copies": perturbed copies of ${real.length + held.length} real faces (a stress row). 500 real mated pairs in each; exact: ONNX Runtime GEMM + TopK; approximate: ${DEFAULT_ANN_OPTIONS.codeDims}-byte codes (principal directions, 8 bits each) scanned on ONNX Runtime, best ${DEFAULT_ANN_OPTIONS.shortlist} re-scored exactly`,
  );
  console.log(
    table(
      [
        "population",
        "templates",
        "ANN p50/p99 ms",
        "exact p50/p99 ms",
        "mated first exact / ANN",
        "decisions agree",
        "ANN recall@10 (strangers)",
        "threshold",
        "restart: load / build s",
        "RSS B/template exact / ANN",
      ],
      rows.map((r) => [
        r.population,
        r.templates,
        `${r.p50_ms}/${r.p99_ms}`,
        `${r.exact_p50_ms}/${r.exact_p99_ms}`,
        `${r.mated_first_exact} / ${r.mated_first_ann}`,
        r.decisions_agree,
        r.recall_at_10,
        r.threshold,
        `${r.restart_load_s} / ${r.restart_build_s}`,
        `${r.rss_bytes_per_template} / ${r.ann_rss_bytes_per_template}`,
      ]),
    ),
  );
}

await main();
