/**
 * The distributed pipeline end to end on this machine: a real nats-server, the embedder and matcher
 * services as processes, and 10 simulated cameras publishing FaceCrops of real faces. Prints throughput
 * (faces/s) under saturation with the embedder's mean batch size, and latency p50/p99 from frame time
 * to the match event both saturated and at a steady rate, next to the bare engine's embedding
 * throughput measured in the same run (the pipeline's ceiling: embedding is its bottleneck).
 *
 *   node bench/dist/pipeline.js [--quick] [--json]
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { FaceCrop, MatchEvent, subjects } from "@facerec/contracts";
import { connectBus } from "@facerec/pipeline";
import { openProductState } from "@facerec/product";
import { shared } from "@facerec/testkit/paths";
import { metricSum, natsServer, serviceProcess } from "@facerec/testkit/servers";
import { decodeImage, encodePng, FaceEngine, type Image } from "@facerec/vision";
import { jetstream } from "@nats-io/jetstream";
import { mean, percentile, table } from "./timing.js";

const quick = process.argv.includes("--quick");
const asJson = process.argv.includes("--json");
const cameras = 10;
const perCamera = quick ? 20 : 160;
const steadySeconds = quick ? 4 : 15;

/** CPU seconds (user + system) a process has used so far, from /proc (Linux; clock ticks of 1/100 s). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  // Fields after the ")" that ends the command name: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function batchStats(port: number): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return { sum: metricSum(text, "facerec_embedder_batch_size_sum"), count: metricSum(text, "facerec_embedder_batch_size_count") };
}

async function main(): Promise<void> {
  const engine = await FaceEngine.create({ liveness: "none" });
  const knn = (...p: string[]) => shared("data", "facerec_examples", "knn_examples", ...p);
  const crops: { png: Buffer; image: Image; quality: number }[] = [];
  for (const file of ["obama1.jpg", "alex_lacamoire1.jpg", "kit_with_rose.jpg", "obama_and_biden.jpg", "johnsnow_test1.jpg"]) {
    for (const f of await engine.analyse(await decodeImage(readFileSync(knn("test", file))), { embed: false })) {
      crops.push({ png: await encodePng(f.aligned), image: f.aligned, quality: f.quality.score });
    }
  }

  // The bare engine: the same crops through the embedder in batches of 8, in this process.
  const bareStart = performance.now();
  const bareCpu = process.cpuUsage();
  let bareFaces = 0;
  while (performance.now() - bareStart < (quick ? 3000 : 8000)) {
    await engine.embedder.embed(
      Array.from({ length: 8 }, (_, i) => (crops[(bareFaces + i) % crops.length] as (typeof crops)[number]).image),
    );
    bareFaces += 8;
  }
  const bare = bareFaces / ((performance.now() - bareStart) / 1000);
  const used = process.cpuUsage(bareCpu);
  const bareCpuPerFace = (used.user + used.system) / 1e6 / bareFaces;
  // The steady phase offers half of what the bare engine can embed, spread over the cameras.
  const steadyRate = (bare * 0.5) / cameras;

  const data = mkdtempSync(join(tmpdir(), "bench-pipeline-"));
  const state = await openProductState(data, engine);
  const { gallery } = state;
  for (const person of readdirSync(knn("train"))) {
    const s = await gallery.createSubject("bench", person);
    const photo = readdirSync(knn("train", person))[0] as string;
    const face = FaceEngine.primary(await engine.analyse(await decodeImage(readFileSync(knn("train", person, photo)))));
    if (face?.embedding) await gallery.enrol("bench", s.id, engine.embedder.id, [{ vector: face.embedding, quality: 1 }]);
  }
  await state.close();

  const nats = await natsServer();
  const embedder = await serviceProcess("embedder", { NATS_URL: nats.url, LOG_LEVEL: "warn" });
  const matcher = await serviceProcess("matcher", { NATS_URL: nats.url, FACEREC_DATA: data, LOG_LEVEL: "warn" });
  const nc = await connectBus(nats.url, "bench");
  const js = jetstream(nc);
  const latencies = new Map<string, number>();
  const sentAt = new Map<string, number>();
  nc.subscribe("faces.match.bench.>", {
    callback: (_e, msg) => {
      const event = MatchEvent.decode(msg.data);
      const t = sentAt.get(event.cropId);
      if (t !== undefined && !latencies.has(event.cropId)) latencies.set(event.cropId, performance.now() - t);
    },
  });
  const publish = async (camera: number, i: number) => {
    const c = crops[(camera * 7 + i) % crops.length] as (typeof crops)[number];
    const crop = FaceCrop.fromPartial({
      cropId: randomUUID(),
      tenant: "bench",
      camera: `cam${camera}`,
      frameTime: new Date(),
      quality: c.quality,
      liveness: 1,
      alignedPng: c.png,
    });
    sentAt.set(crop.cropId, performance.now());
    await js.publish(subjects.crop("bench", crop.camera), FaceCrop.encode(crop).finish(), { msgID: crop.cropId });
    return crop.cropId;
  };
  const waitFor = async (ids: string[], timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (ids.some((id) => !latencies.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return ids.filter((id) => latencies.has(id)).map((id) => latencies.get(id) as number);
  };

  // Saturation: every camera publishes its crops as fast as JetStream takes them.
  const before = await batchStats(embedder.ops);
  const processes = {
    embedder: embedder.pid,
    matcher: matcher.pid,
    "nats-server": nats.pid,
    "cameras (this process)": process.pid,
  };
  const cpuBefore = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const satStart = performance.now();
  const satIds = (
    await Promise.all(
      Array.from({ length: cameras }, async (_, cam) => {
        const ids = [];
        for (let i = 0; i < perCamera; i++) ids.push(await publish(cam, i));
        return ids;
      }),
    )
  ).flat();
  const satLat = await waitFor(satIds, 300_000);
  const satSeconds = (performance.now() - satStart) / 1000;
  const after = await batchStats(embedder.ops);
  // Where the machine's time went while saturated: each process's CPU seconds against wall x cores.
  const cpu = Object.fromEntries(
    Object.entries(processes).map(([name, pid]) => [name, Number((cpuSeconds(pid) - (cpuBefore[name] ?? 0)).toFixed(1))]),
  );
  const meanBatch = (after.sum - before.sum) / Math.max(1, after.count - before.count);

  // Steady: each camera at `steadyRate` crops a second, well under capacity.
  const steadyIds: string[] = [];
  const steadyEnd = performance.now() + steadySeconds * 1000;
  let tick = 0;
  while (performance.now() < steadyEnd) {
    for (let cam = 0; cam < cameras; cam++) steadyIds.push(await publish(cam, tick));
    tick++;
    await new Promise((r) => setTimeout(r, 1000 / steadyRate));
  }
  const steadyLat = await waitFor(steadyIds, 60_000);

  await nc.close();
  for (const p of [matcher, embedder, nats]) await p.stop();
  rmSync(data, { recursive: true, force: true });

  const throughput = satLat.length / satSeconds;
  const result = {
    cameras,
    bare_engine_faces_per_s: Number(bare.toFixed(1)),
    saturated: {
      crops: satIds.length,
      delivered: satLat.length,
      faces_per_s: Number(throughput.toFixed(1)),
      mean_batch: Number(meanBatch.toFixed(2)),
      p50_ms: Number(percentile(satLat, 50).toFixed(0)),
      p99_ms: Number(percentile(satLat, 99).toFixed(0)),
      seconds: Number(satSeconds.toFixed(1)),
      cpu_seconds: cpu,
      cores: availableParallelism(),
    },
    steady: {
      faces_per_s: Number((cameras * steadyRate).toFixed(1)),
      crops: steadyIds.length,
      delivered: steadyLat.length,
      p50_ms: Number(percentile(steadyLat, 50).toFixed(1)),
      p99_ms: Number(percentile(steadyLat, 99).toFixed(1)),
      mean_ms: Number(mean(steadyLat).toFixed(1)),
    },
    pipeline_over_bare: Number((throughput / bare).toFixed(3)),
    // CPU-seconds a delivered face cost every process of the distributed path together (embedder,
    // matcher, nats-server, the cameras), over what one cost the bare engine: a cost, fair on 2 cores.
    cpu_ms_per_face: Number(((1000 * Object.values(cpu).reduce((a, b) => a + b, 0)) / Math.max(1, satLat.length)).toFixed(2)),
    bare_cpu_ms_per_face: Number((1000 * bareCpuPerFace).toFixed(2)),
    cpu_per_face_over_bare: Number(
      (Object.values(cpu).reduce((a, b) => a + b, 0) / Math.max(1, satLat.length) / bareCpuPerFace).toFixed(3),
    ),
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
  };
  if (asJson) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  console.log(
    `distributed pipeline: ${cameras} cameras -> nats-server -> embedder -> matcher (each its own process, 2 cores shared)`,
  );
  console.log(
    table(
      ["phase", "crops", "delivered", "faces/s", "mean batch", "p50 ms", "p99 ms"],
      [
        ["bare engine (embed, batch 8, in process)", "-", "-", result.bare_engine_faces_per_s, 8, "-", "-"],
        [
          "saturated",
          result.saturated.crops,
          result.saturated.delivered,
          result.saturated.faces_per_s,
          result.saturated.mean_batch,
          result.saturated.p50_ms,
          result.saturated.p99_ms,
        ],
        [
          `steady, half the bare rate (${cameras} x ${steadyRate.toFixed(2)}/s)`,
          result.steady.crops,
          result.steady.delivered,
          result.steady.faces_per_s,
          "-",
          result.steady.p50_ms,
          result.steady.p99_ms,
        ],
      ],
    ),
  );
  console.log(
    `pipeline / bare engine (saturated throughput): ${result.pipeline_over_bare}; latency is frame time to match event received`,
  );
  console.log(
    `CPU a face: ${result.cpu_ms_per_face} ms over every distributed process against the bare engine's ${result.bare_cpu_ms_per_face} ms (${result.cpu_per_face_over_bare}x)`,
  );
  console.log(
    `CPU seconds while saturated (${result.saturated.seconds} s x ${result.saturated.cores} cores): ${Object.entries(cpu)
      .map(([name, seconds]) => `${name} ${seconds}`)
      .join(", ")}`,
  );
}

await main();
