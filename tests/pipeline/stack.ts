import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FaceCrop, MatchEvent, streams } from "@facerec/contracts";
import { CropPublisher } from "@facerec/pipeline";
import { openProductState } from "@facerec/product";
import { shared } from "@facerec/testkit/paths";
import { decodeImage, encodePng, FaceEngine } from "@facerec/vision";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import sharp from "sharp";

/** A photo of the knn examples in ../shared. */
export const knn = (...p: string[]): string => shared("data", "facerec_examples", "knn_examples", ...p);

/**
 * Enrol each person's photos into the gallery a matcher will open from `data` (or from PostgreSQL when
 * `env` has DATABASE_URL); returns subject id -> name.
 */
export async function enrolInto(
  data: string,
  tenant: string,
  people: { name: string; photos: string[] }[],
  env: NodeJS.ProcessEnv = {},
): Promise<Map<string, string>> {
  const engine = await FaceEngine.create({});
  const state = await openProductState(data, engine, env);
  const { gallery } = state;
  const names = new Map<string, string>();
  for (const { name, photos } of people) {
    const subject = await gallery.createSubject(tenant, name);
    const items = [];
    for (const photo of photos) {
      const face = FaceEngine.primary(await engine.analyse(await decodeImage(readFileSync(photo))));
      if (face?.embedding) items.push({ vector: face.embedding, quality: face.quality.score });
    }
    await gallery.enrol(tenant, subject.id, engine.embedder.id, items);
    names.set(subject.id, name);
  }
  await state.close();
  return names;
}

/** Every MatchEvent in the stream so far, in order. */
export async function matchEvents(nc: NatsConnection): Promise<MatchEvent[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(streams.matches);
  const out: MatchEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(streams.matches, { seq }).catch(() => null);
    if (m) out.push(MatchEvent.decode(m.data));
  }
  return out;
}

/** Poll until `check` passes or `timeoutMs` runs out; the last failure is rethrown. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 90_000, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}

/**
 * A 640x480 MJPEG video at 10 frames a second made by ffmpeg from still photos: each shown for
 * `seconds`, with a second of black between them so that each person is a separate track. The photos
 * are letterboxed to 640x480 first, so ffmpeg reads one uniform image sequence.
 */
export async function videoOf(photos: string[], seconds = 2): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "video-"));
  const fps = 10;
  const still = async (photo: string | null) =>
    (photo
      ? sharp(photo).rotate().resize(640, 480, { fit: "contain", background: "#000" })
      : sharp({ create: { width: 640, height: 480, channels: 3, background: "#000" } })
    )
      .png()
      .toBuffer();
  const black = await still(null);
  let frame = 0;
  const show = (png: Buffer, count: number) => {
    for (let i = 0; i < count; i++) writeFileSync(join(dir, `${String(frame++).padStart(5, "0")}.png`), png);
  };
  for (const photo of photos) {
    show(await still(photo), seconds * fps);
    show(black, fps);
  }
  const out = join(dir, "people.avi");
  execFileSync("ffmpeg", [
    "-hide_banner",
    "-loglevel",
    "error",
    "-framerate",
    String(fps),
    "-i",
    join(dir, "%05d.png"),
    "-c:v",
    "mjpeg",
    "-q:v",
    "3",
    "-pix_fmt",
    "yuvj420p",
    out,
  ]);
  return out;
}

/** Aligned crops of the real faces in four knn test photos, to publish as many distinct crops as a test needs. */
export async function alignedFaces(): Promise<{ png: Buffer; quality: number }[]> {
  const engine = await FaceEngine.create({ liveness: "none" });
  const faces: { png: Buffer; quality: number }[] = [];
  for (const file of ["obama1.jpg", "alex_lacamoire1.jpg", "kit_with_rose.jpg", "obama_and_biden.jpg"]) {
    for (const f of await engine.analyse(await decodeImage(readFileSync(knn("test", file))), { embed: false })) {
      faces.push({ png: await encodePng(f.aligned), quality: f.quality.score });
    }
  }
  return faces;
}

/** The `i`th crop of `camera` (tenant acme), made from one of `faces`, with a fresh crop id. */
export function cropOf(faces: { png: Buffer; quality: number }[], camera: string, i: number): FaceCrop {
  const face = faces[i % faces.length] as { png: Buffer; quality: number };
  return FaceCrop.fromPartial({
    cropId: randomUUID(),
    tenant: "acme",
    camera,
    frameTime: new Date(),
    quality: face.quality,
    liveness: 1,
    alignedPng: face.png,
    trackId: `t${i}`,
  });
}

/**
 * Publish `count` crops of `camera` through the edge's publisher (spooling through outages), doing
 * `during(i)` before crop i (a fault to inject); resolves with the crop ids once all are published.
 */
export async function publishThroughFaults(
  nc: NatsConnection,
  faces: { png: Buffer; quality: number }[],
  camera: string,
  count: number,
  during: (i: number) => Promise<void>,
): Promise<string[]> {
  const publisher = new CropPublisher(nc, jetstream(nc), { maxItems: 1000, maxBytes: 64 * 1024 * 1024 }, 1000);
  const sent: string[] = [];
  for (let i = 0; i < count; i++) {
    await during(i);
    const c = cropOf(faces, camera, i);
    await publisher.publish(c);
    sent.push(c.cropId);
    await new Promise((r) => setTimeout(r, 20));
  }
  await eventually(async () => {
    await publisher.drain();
    if (publisher.spooled > 0) throw new Error(`${publisher.spooled} crops still spooled`);
  });
  publisher.close();
  if (publisher.dropped > 0) throw new Error(`${publisher.dropped} crops dropped from the spool`);
  return sent;
}
