/**
 * Gateway overhead: identify latency p50/p99 over REST (multipart upload on loopback) for a 640x480
 * single-face JPEG with 10,000 enrolled subjects, next to the engine's own time (decode, detect, align,
 * liveness, embed, gallery decision) for the same image, measured interleaved in the same run.
 *
 *   node bench/dist/gateway.js [--quick] [--json]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "@facerec/gateway";
import { openGateway } from "@facerec/operations";
import { shared } from "@facerec/testkit/paths";
import { decodeImage } from "@facerec/vision";
import sharp from "sharp";
import { mean, percentile, table } from "./timing.js";
import { lfwEmbeddings, noiseSource, perturb } from "./vectors.js";

const quick = process.argv.includes("--quick");
const asJson = process.argv.includes("--json");
const subjects = 10_000;
const rounds = quick ? 20 : 200;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-gateway-"));
  const { engine, gallery, keys, audit, recognition, close } = await openGateway(dir, {
    limits: { ratePerMinute: 0 },
  });
  const key = (await keys.create("bench", "bench", ["admin"])).key;
  const p = await keys.authenticate(key);

  // 10,000 subjects from real LFW embeddings and perturbed copies of them (distinct enough to be other people).
  const enrolStart = performance.now();
  const real = await lfwEmbeddings(quick ? 500 : 2000);
  const gauss = noiseSource(7);
  const batch = [];
  for (let i = 0; i < subjects; i++) {
    const base = real[i % real.length] as Float32Array;
    const vector = i < real.length ? base : perturb(base, 0.6, gauss);
    batch.push({ subject: (await gallery.createSubject("bench", `person ${i}`)).id, items: [{ vector, quality: 1 }] });
  }
  await gallery.enrolMany("bench", engine.embedder.id, batch);
  const enrolSeconds = (performance.now() - enrolStart) / 1000;

  const probe = await sharp(shared("data", "facerec_examples", "knn_examples", "test", "obama1.jpg"))
    .resize(640, 480, { fit: "cover" })
    .jpeg({ quality: 90 })
    .toBuffer();
  const app = await buildApp(recognition, audit);
  const url = await app.listen({ host: "127.0.0.1", port: 0 });

  const viaEngine = async () => {
    const faces = await engine.analyse(await decodeImage(probe), { liveness: true });
    for (const f of faces) await gallery.identify("bench", engine.embedder.id, f.embedding as Float32Array);
    return faces.length;
  };
  const viaRest = async () => {
    const form = new FormData();
    form.append("image", new Blob([probe]), "probe.jpg");
    const r = await fetch(`${url}/v1/identify`, { method: "POST", headers: { "x-api-key": key }, body: form });
    if (r.status !== 200) throw new Error(`identify answered ${r.status}: ${await r.text()}`);
    return ((await r.json()) as { faces: unknown[] }).faces.length;
  };
  if ((await viaEngine()) !== 1 || (await viaRest()) !== 1) throw new Error("the probe must hold exactly one face");
  await recognition.identify(p, probe);

  const engineMs: number[] = [];
  const restMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const [fn, out] of i % 2
      ? ([
          [viaEngine, engineMs],
          [viaRest, restMs],
        ] as const)
      : ([
          [viaRest, restMs],
          [viaEngine, engineMs],
        ] as const)) {
      const t = performance.now();
      await fn();
      out.push(performance.now() - t);
    }
  }
  await app.close();
  await close();
  rmSync(dir, { recursive: true, force: true });

  const row = (name: string, ms: number[]) => ({
    path: name,
    p50_ms: Number(percentile(ms, 50).toFixed(1)),
    p99_ms: Number(percentile(ms, 99).toFixed(1)),
    mean_ms: Number(mean(ms).toFixed(1)),
  });
  const rows = [row("engine + gallery (in process)", engineMs), row("REST /v1/identify (multipart, loopback)", restMs)];
  const ratio = Number((mean(restMs) / mean(engineMs)).toFixed(3));
  const peakRss = process.resourceUsage().maxRSS * 1024;
  if (asJson) {
    process.stdout.write(
      `${JSON.stringify({ subjects, rounds, enrol_seconds: enrolSeconds, rows, rest_over_engine: ratio, peak_rss_bytes: peakRss })}\n`,
    );
    return;
  }
  console.log(`identify, 640x480 single-face JPEG, ${subjects} enrolled subjects, ${rounds} interleaved rounds`);
  console.log(
    table(
      ["path", "p50 ms", "p99 ms", "mean ms"],
      rows.map((r) => [r.path, r.p50_ms, r.p99_ms, r.mean_ms]),
    ),
  );
  console.log(
    `REST / engine (mean): ${ratio}; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB; enrolling took ${enrolSeconds.toFixed(1)} s`,
  );
}

await main();
