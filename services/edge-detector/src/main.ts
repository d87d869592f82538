#!/usr/bin/env node
// The edge detector: frames in (video or stream through ffmpeg, a watched folder, HTTP push), best
// shots out as FaceCrops on JetStream, spooled while NATS is unreachable. Configured by environment.
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { repoRoot } from "@facerec/common";
import {
  CropPublisher,
  DEFAULT_TRACKER_OPTIONS,
  directoryFrames,
  EdgeDetector,
  type Frame,
  startWorkerService,
  videoFrames,
} from "@facerec/pipeline/edge";
import { engineConfigFromEnv, numberSetting, setting } from "@facerec/runtime";
import { decodeImage, FaceEngine, ImageError } from "@facerec/vision";
import { Counter, Gauge } from "prom-client";
import { NO_PUSH_KEY, pushAllowed, pushKeyFor } from "./push-key.js";

const tenant = setting("TENANT", "default");
const camera = setting("EDGE_CAMERA", "camera-1");
const source = process.env.EDGE_SOURCE;
const fps = numberSetting("EDGE_FPS", 2, 0.1);
const maxPushBytes = numberSetting("EDGE_MAX_PUSH_BYTES", 20 * 1024 * 1024, 1);
// The edge's own folder: its spool and the push key it made.
const data = setting("FACEREC_DATA", join(repoRoot, "data"));
// Made (or refused) before anything slow starts, so that a first start shows its key at once.
const pushKey = pushKeyFor(data);
if (pushKey.kind === "stored" && pushKey.made)
  process.stdout.write(
    `\nFirst start: edge push key (shown once, keep it; pushers send Authorization: Bearer <key>; kept in ${pushKey.file}):\n\n  ${pushKey.key}\n\n`,
  );

const engine = await FaceEngine.create(engineConfigFromEnv());
const service = await startWorkerService("edge-detector", {
  defaultOpsPort: 9101,
  clientName: `facerec-edge-${camera}`,
  streamsMayWait: true,
});
const { log, nc, js, registry } = service;
const publisher = new CropPublisher(nc, js, {
  maxItems: numberSetting("EDGE_SPOOL_MAX_ITEMS", 2000, 1),
  maxBytes: numberSetting("EDGE_SPOOL_MAX_BYTES", 64 * 1024 * 1024, 1024),
  // Crops spooled during an outage survive a restart here (FACEREC_DATA/spool/<camera>).
  dir: join(data, "spool", camera),
});
// Frames of a track that its liveness is decided over, beside its best shot (0: the best shot alone).
const livenessFrames = Math.round(numberSetting("EDGE_LIVENESS_FRAMES", DEFAULT_TRACKER_OPTIONS.samples ?? 5));
/** The pack's APCER-5% threshold for what the gate scores: a track's combined score, or one frame's. */
function livenessThreshold(): number | undefined {
  const thresholds = engine.liveness?.model.thresholds;
  return (livenessFrames > 0 ? thresholds?.["apcer_5e-2_track5"] : undefined) ?? thresholds?.["apcer_5e-2"];
}
const edge = new EdgeDetector(engine, publisher, {
  ...EdgeDetector.defaults(tenant),
  minQuality: numberSetting("EDGE_MIN_QUALITY", 0.3),
  minLiveness: numberSetting("EDGE_MIN_LIVENESS", livenessThreshold() ?? 0.5),
  tracker: {
    ...DEFAULT_TRACKER_OPTIONS,
    intervalMs: numberSetting("EDGE_TRACK_INTERVAL_MS", DEFAULT_TRACKER_OPTIONS.intervalMs, 1),
    samples: livenessFrames,
  },
});

const frames = new Counter({ name: "facerec_edge_frames_total", help: "Frames analysed.", registers: [registry] });
new Gauge({
  name: "facerec_edge_crops",
  help: "Faces seen, gated out and published since start; best shots not yet published or spooled; the spool now (crops and bytes); crops dropped from a full spool.",
  labelNames: ["state"],
  registers: [registry],
  collect() {
    const c = edge.counters;
    this.set({ state: "faces" }, c.faces);
    this.set({ state: "rejected_quality" }, c.rejectedQuality);
    this.set({ state: "rejected_liveness" }, c.rejectedLiveness);
    this.set({ state: "published" }, publisher.published);
    this.set({ state: "pending_now" }, edge.pending);
    this.set({ state: "spooled_now" }, publisher.spooled);
    this.set({ state: "spooled_bytes_now" }, publisher.spooledBytes);
    this.set({ state: "dropped" }, publisher.dropped);
  },
});

async function analyse(cam: string, frame: Frame): Promise<void> {
  await edge.frame(cam, await decodeImage(frame.bytes), frame.time);
  frames.inc();
}

/** POST /v1/frames?camera=<name>: one image in the body, analysed like a camera frame. */
async function push(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
  const url = new URL(request.url ?? "/", "http://edge");
  if (url.pathname !== "/v1/frames") return false;
  if (request.method !== "POST") {
    response.writeHead(405, { allow: "POST" }).end("POST an image\n");
    return true;
  }
  if (!pushAllowed(pushKey, request.headers.authorization)) {
    response
      .writeHead(401, { "www-authenticate": "Bearer" })
      .end("push frames with Authorization: Bearer <the edge's push key>\n");
    request.resume();
    return true;
  }
  const cam = url.searchParams.get("camera") ?? camera;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxPushBytes) {
      response.writeHead(413).end(`frame over ${maxPushBytes} bytes\n`);
      request.destroy();
      return true;
    }
    chunks.push(chunk as Buffer);
  }
  try {
    await analyse(cam, { bytes: Buffer.concat(chunks), time: new Date() });
    response.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify(edge.counters));
  } catch (error) {
    const status = error instanceof ImageError || error instanceof RangeError ? 400 : 500;
    response.writeHead(status).end(`${(error as Error).message}\n`);
  }
  return true;
}

const stopSource = new AbortController();
if (source) {
  void (async () => {
    const stream = source.startsWith("dir:") ? directoryFrames(source.slice(4), stopSource.signal) : videoFrames(source, fps);
    try {
      for await (const frame of stream) {
        await analyse(camera, frame).catch((error: unknown) => log.warn({ err: (error as Error).message }, "frame skipped"));
        if (stopSource.signal.aborted) break;
      }
      await edge.end(camera);
      log.info({ counters: edge.counters, spooled: publisher.spooled }, "source ended");
    } catch (error) {
      log.error({ err: (error as Error).message }, "source failed");
    }
  })();
}

const ops = await service.run(
  async () => {
    stopSource.abort();
    edge.close();
    await edge.end(camera);
    await publisher.drain();
    publisher.close();
    log.info({ counters: edge.counters, spooled: publisher.spooled, dropped: publisher.dropped }, "stopped");
  },
  push,
  () => true,
);
if (pushKey.kind === "none")
  log.warn({ ops }, `EDGE_PUSH_KEY=${NO_PUSH_KEY}: frames pushed to /v1/frames are taken from anyone who reaches this address`);
log.info(
  { nats: service.natsUrl, tenant, camera, source: source ?? "push only", fps, ops, pushKey: pushKey.kind },
  "edge detector ready",
);
