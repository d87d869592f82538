import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditTrail } from "@facerec/audit";
import type { ApiKeyStore } from "@facerec/auth";
import type { Gallery } from "@facerec/gallery";
import { openGateway, Recognition } from "@facerec/operations";
import { describeWithShared, pngBomb, shared } from "@facerec/testkit";
import type { FaceEngine } from "@facerec/vision";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildApp } from "../src/index.js";
import type { Json } from "./clients.js";
import { bbtCrowds, bbtScene, knn, knnCases, people, strangers } from "./scenarios.js";

const b64 = (path: string): string => readFileSync(path).toString("base64");

let app: FastifyInstance;
let base: string;
let audit: AuditTrail;
let recognition: Recognition;
let keys: ApiKeyStore;
let engine: FaceEngine;
let gallery: Gallery;
const keyOf: Record<string, string> = {};

async function call(
  method: string,
  path: string,
  key: string | undefined,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(key ? { "x-api-key": key } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describeWithShared("REST gateway over real HTTP", () => {
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const data = mkdtempSync(join(tmpdir(), "gateway-"));
    ({ audit, keys, recognition, engine, gallery } = await openGateway(data, { limits: { requestBytes: 4 * 1024 * 1024 } }));
    keyOf.admin = (await keys.create("acme", "admin", ["admin"])).key;
    keyOf.kiosk = (await keys.create("acme", "kiosk", ["recognise"])).key;
    keyOf.other = (await keys.create("globex", "other", ["admin"])).key;
    keyOf.bbt = (await keys.create("bbt", "tv", ["admin"])).key;
    app = await buildApp(recognition, audit);
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    for (const { name, photos } of people("knn")) {
      const created = await call("POST", "/v1/subjects", keyOf.admin, { name });
      expect(created.status).toBe(201);
      ids[name] = created.json.id as string;
      const images = photos.map((p) => p.toString("base64"));
      const enrolled = await call("POST", `/v1/subjects/${ids[name]}/enroll`, keyOf.admin, { images });
      expect(enrolled.status).toBe(200);
      expect(enrolled.json.rejected).toEqual([]);
    }
  });
  afterAll(async () => {
    await app?.close();
  });

  const names = (faces: { subjectId?: string; outcome: string; box: { x: number } }[]) =>
    [...faces]
      .sort((a, b) => a.box.x - b.box.x)
      .map((f) => Object.entries(ids).find(([, id]) => id === f.subjectId)?.[0] ?? f.outcome);

  it("identifies enrolled people in their test photos, several faces per image", async () => {
    for (const [file, expected] of knnCases) {
      const r = await call("POST", "/v1/identify", keyOf.kiosk, { image: b64(file) });
      expect(r.status).toBe(200);
      expect(names(r.json.faces as never)).toEqual(expected);
    }
  });

  it("finds both enrolled people in a photo with bystanders", async () => {
    const r = await call("POST", "/v1/identify", keyOf.kiosk, { image: b64(knn("test", "obama_and_biden.jpg")) });
    const found = names(r.json.faces as never);
    expect(found.filter((n) => n !== "unknown").sort()).toEqual(["biden", "obama"]);
    // Each answer carries names beside ids: the match's, and every candidate's.
    for (const face of (r.json.faces as Json[]).filter((f: Json) => f.outcome === "match")) {
      expect(face.subjectName).toBe(Object.entries(ids).find(([, id]) => id === face.subjectId)?.[0]);
      for (const c of face.candidates) expect(c.subjectName).toBe(Object.entries(ids).find(([, id]) => id === c.subjectId)?.[0]);
    }
  });

  it("names every face of the faceapi_bbt group scenes, no one twice in a scene", async () => {
    const cast: Record<string, string> = {};
    for (const { name, photos } of people("bbt")) {
      const created = await call("POST", "/v1/subjects", keyOf.bbt, { name });
      cast[created.json.id as string] = name;
      const images = photos.map((p) => p.toString("base64"));
      await call("POST", `/v1/subjects/${created.json.id}/enroll`, keyOf.bbt, { images });
    }
    const who = async (scene: string): Promise<string[]> => {
      const r = await call("POST", "/v1/identify", keyOf.bbt, { image: b64(scene) });
      return [...(r.json.faces as { subjectId?: string; outcome: string; box: { x: number } }[])]
        .sort((a, b) => a.box.x - b.box.x)
        .map((f) => (f.subjectId ? (cast[f.subjectId] ?? "?") : f.outcome));
    };
    expect(await who(bbtScene[0])).toEqual(bbtScene[1]);
    for (const scene of bbtCrowds()) {
      const names = (await who(scene)).filter((n) => n !== "unknown");
      expect(names.length).toBeGreaterThanOrEqual(4);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it("answers unknown for people never enrolled", async () => {
    for (const stranger of strangers()) {
      const r = await call("POST", "/v1/identify", keyOf.kiosk, { image: b64(stranger) });
      expect(names(r.json.faces as never)).toEqual(["unknown"]);
    }
  });

  it("refuses missing, wrong and under-scoped keys, and audits the refusals", async () => {
    expect((await call("GET", "/v1/subjects", undefined)).status).toBe(401);
    expect((await call("GET", "/v1/subjects", "frk_0123456789abcdef_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")).status).toBe(
      401,
    );
    const forbidden = await call("POST", "/v1/subjects", keyOf.kiosk, { name: "x" });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.message).toMatch(/enrol/);
    expect((await audit.query({ tenant: "-", decision: "rejected-auth:missing" })).entries.length).toBeGreaterThan(0);
  });

  it("keeps tenants apart: another tenant's subject does not exist for them", async () => {
    const r = await call("GET", `/v1/subjects/${ids.obama}`, keyOf.other);
    expect(r.status).toBe(404);
    expect((await call("DELETE", `/v1/subjects/${ids.obama}`, keyOf.other)).status).toBe(404);
    const identify = await call("POST", "/v1/identify", keyOf.other, { image: b64(knn("test", "obama1.jpg")) });
    expect(names(identify.json.faces as never)).toEqual(["unknown"]);
  });

  it("answers bad input with a 4xx and a message, and stays up", async () => {
    const text = await call("POST", "/v1/identify", keyOf.kiosk, {
      image: Buffer.from("not an image at all").toString("base64"),
    });
    expect(text.status).toBe(400);
    expect(text.json.message).toMatch(/NOT_AN_IMAGE/);
    const jpeg = readFileSync(knn("test", "obama1.jpg"));
    const truncated = await call("POST", "/v1/identify", keyOf.kiosk, { image: jpeg.subarray(0, 2000).toString("base64") });
    expect(truncated.status).toBe(400);
    expect((await call("POST", "/v1/identify", keyOf.kiosk, "{not json")).status).toBe(400);
    expect((await call("POST", "/v1/identify", keyOf.kiosk, { image: "A".repeat(5 * 1024 * 1024) })).status).toBe(413);
    expect((await call("POST", "/v1/identify", keyOf.kiosk, { picture: "x" })).status).toBe(400);
    expect((await call("GET", "/healthz", undefined)).status).toBe(200);
    expect((await call("POST", "/v1/identify", keyOf.kiosk, { image: "" })).status).toBe(400);
    expect((await audit.query({ tenant: "acme", decision: "rejected:INVALID_ARGUMENT" })).entries.length).toBeGreaterThanOrEqual(
      4,
    );
  });

  it("refuses a 20000x20000 PNG bomb and oversize uploads while its memory stays bounded", async () => {
    const bomb = await pngBomb(20000, 20000);
    const upload = (bytes: Buffer, field = "image") => {
      const form = new FormData();
      form.append(field, new Blob([bytes]), "upload.png");
      return fetch(`${base}/v1/identify`, { method: "POST", headers: { "x-api-key": keyOf.kiosk as string }, body: form });
    };
    const refused = await call("POST", "/v1/identify", keyOf.kiosk, { image: bomb.toString("base64") });
    expect(refused.status).toBe(413);
    expect(refused.json.message).toMatch(/TOO_MANY_PIXELS.*20000x20000/);
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 10; i++) {
      const r = await upload(bomb);
      expect(r.status).toBe(413);
      expect((await call("POST", "/v1/identify", keyOf.kiosk, { image: "A".repeat(5 * 1024 * 1024) })).status).toBe(413);
    }
    // 400 MB would be one inflated bomb: ten of them plus ten 5 MB bodies must not get near that.
    expect(process.memoryUsage().rss - before).toBeLessThan(150 * 1024 * 1024);
    const huge = await upload(Buffer.alloc(21 * 1024 * 1024));
    expect(huge.status).toBe(413);
    // Refused from its Content-Length, before a byte of it is read.
    expect(((await huge.json()) as { message: string }).message).toMatch(/request is \d+ bytes; the limit is 4194304/);
    expect((await call("GET", "/healthz", undefined)).status).toBe(200);
  });

  it("takes photos as multipart uploads as well as base64 JSON", async () => {
    const form = new FormData();
    form.append("image", new Blob([readFileSync(knn("test", "kit_with_rose.jpg"))]), "kit_with_rose.jpg");
    const r = await fetch(`${base}/v1/identify`, { method: "POST", headers: { "x-api-key": keyOf.kiosk as string }, body: form });
    expect(r.status).toBe(200);
    expect(names(((await r.json()) as { faces: never }).faces)).toEqual(["rose_leslie", "kit_harington"]);

    const created = await call("POST", "/v1/subjects", keyOf.admin, { name: "to rename" });
    const photos = new FormData();
    for (const f of ["obama.jpg", "obama2.jpg"]) photos.append("images", new Blob([readFileSync(knn("train", "obama", f))]), f);
    const enrolled = await fetch(`${base}/v1/subjects/${created.json.id}/enroll`, {
      method: "POST",
      headers: { "x-api-key": keyOf.admin as string },
      body: photos,
    });
    expect(((await enrolled.json()) as { templateIds: string[] }).templateIds).toHaveLength(2);
    // One file in the form is a list of one (another photo of him: the same again would be a near-copy).
    const one = new FormData();
    one.append("images", new Blob([readFileSync(knn("test", "obama1.jpg"))]), "obama1.jpg");
    const single = await fetch(`${base}/v1/subjects/${created.json.id}/enroll`, {
      method: "POST",
      headers: { "x-api-key": keyOf.admin as string },
      body: one,
    });
    expect(single.status).toBe(200);
    expect(((await single.json()) as { templateIds: string[] }).templateIds).toHaveLength(1);
    const renamed = await call("PATCH", `/v1/subjects/${created.json.id}`, keyOf.admin, { name: "Barack", metadata: { a: "b" } });
    expect(renamed.json).toMatchObject({ name: "Barack", metadata: { a: "b" } });
    expect((await call("PATCH", `/v1/subjects/${created.json.id}`, keyOf.other, { name: "x" })).status).toBe(404);
    expect((await call("PATCH", `/v1/subjects/${created.json.id}`, keyOf.admin, {})).status).toBe(400);
    expect((await call("DELETE", `/v1/subjects/${created.json.id}`, keyOf.admin)).json).toMatchObject({ templatesRemoved: 3 });
  });

  it("streams the tenant's match events, and only the tenant's, as server-sent events", async () => {
    const abort = new AbortController();
    const stream = await fetch(`${base}/v1/matches?camera=door`, {
      headers: { "x-api-key": keyOf.kiosk as string },
      signal: abort.signal,
    });
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const events: Record<string, unknown>[] = [];
    const reading = (async () => {
      let text = "";
      while (events.length < 1) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
        for (const line of text.split("\n")) if (line.startsWith("data: ")) events.push(JSON.parse(line.slice(6)));
      }
    })();
    await call("POST", "/v1/identify", keyOf.other, { image: b64(knn("test", "obama1.jpg")), camera: "door" });
    await call("POST", "/v1/identify", keyOf.kiosk, { image: b64(knn("test", "obama1.jpg")), camera: "lobby" });
    await call("POST", "/v1/identify", keyOf.kiosk, { image: b64(knn("test", "obama1.jpg")), camera: "door" });
    await reading;
    abort.abort();
    expect(events[0]).toMatchObject({
      tenant: "acme",
      camera: "door",
      outcome: "match",
      subjectId: ids.obama,
      subjectName: "obama",
    });
    expect(events[0]?.box).toMatchObject({ width: expect.any(Number) });
  });

  it("serves its OpenAPI document, the interactive docs page and the console without a key", async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: object } }>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/subjects",
        "/v1/subjects/{id}/enroll",
        "/v1/identify",
        "/v1/verify",
        "/v1/audit",
        "/v1/matches",
      ]),
    );
    expect(Object.keys(doc.paths["/v1/identify"]?.post?.requestBody?.content ?? {})).toEqual([
      "application/json",
      "multipart/form-data",
    ]);
    expect((await fetch(`${base}/docs`)).status).toBe(200);
    expect(await (await fetch(`${base}/console/`)).text()).toContain("facerec console");
  });

  it("verifies 1:1 against a subject or a second image", async () => {
    const probe = b64(knn("test", "obama1.jpg"));
    const same = await call("POST", "/v1/verify", keyOf.kiosk, { image: probe, subjectId: ids.obama });
    expect(same.json).toMatchObject({ match: true, subjectName: "obama" });
    const other = await call("POST", "/v1/verify", keyOf.kiosk, { image: probe, subjectId: ids.biden });
    expect(other.json).toMatchObject({ match: false });
    const pair = await call("POST", "/v1/verify", keyOf.kiosk, {
      image: probe,
      otherImage: b64(knn("train", "obama", "obama.jpg")),
    });
    expect(pair.json).toMatchObject({ match: true });
    const neither = await call("POST", "/v1/verify", keyOf.kiosk, { image: probe });
    expect(neither.status).toBe(400);
    const grey = Buffer.alloc(64 * 64 * 3, 128);
    const sharp = (await import("sharp")).default;
    const blank = await sharp(grey, { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toBuffer();
    const noFace = await call("POST", "/v1/verify", keyOf.kiosk, { image: blank.toString("base64"), subjectId: ids.obama });
    expect(noFace.status).toBe(400);
    expect(noFace.json.message).toMatch(/NO_FACE/);
  });

  it("serves the tenant's own audit trail to audit-scoped keys, paged, and verifies the chain", async () => {
    expect((await call("GET", "/v1/audit", keyOf.kiosk)).status).toBe(403);
    const page = await call("GET", "/v1/audit?operation=identify&pageSize=2", keyOf.admin);
    expect(page.status).toBe(200);
    const entries = page.json.entries as { tenant: string; operation: string }[];
    expect(entries).toHaveLength(2);
    expect(entries.every((e) => e.tenant === "acme" && e.operation === "identify")).toBe(true);
    const next = await call("GET", `/v1/audit?operation=identify&pageSize=2&pageToken=${page.json.nextPageToken}`, keyOf.admin);
    expect((next.json.entries as unknown[]).length).toBeGreaterThan(0);
    const foreign = await call("GET", "/v1/audit", keyOf.other);
    expect((foreign.json.entries as { tenant: string }[]).every((e) => e.tenant === "globex")).toBe(true);
    expect((await call("GET", "/v1/audit/verify", keyOf.admin)).json).toMatchObject({ intact: true });
    expect((await call("GET", "/v1/audit?pageToken=abc", keyOf.admin)).status).toBe(400);
  });

  it("limits each key's request rate with 429 and Retry-After, and audits the refusal", async () => {
    const limited = await buildApp(new Recognition(engine, gallery, audit, keys, { limits: { ratePerMinute: 3 } }), audit);
    const url = await limited.listen({ host: "127.0.0.1", port: 0 });
    try {
      const statuses = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 4; i++) {
        const r = await fetch(`${url}/v1/subjects`, { headers: { "x-api-key": keyOf.kiosk as string } });
        statuses.push(r.status);
        retryAfter ??= r.headers.get("retry-after");
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      expect((await audit.query({ tenant: "acme", decision: "rejected-rate-limit" })).entries).toHaveLength(1);
    } finally {
      await limited.close();
    }
  });

  it("serves a tenant named like the event emitter's error event, and refuses tenant names that are not tokens", async () => {
    const key = (await keys.create("error", "kiosk", ["recognise"])).key;
    const r = await call("POST", "/v1/identify", key, { image: b64(knn("test", "obama1.jpg")) });
    expect(r.status).toBe(200);
    expect(names(r.json.faces as never)).toEqual(["unknown"]);
    for (const tenant of ["a.b", "two words", "", "x".repeat(65)]) {
      await expect(keys.create(tenant, "k", ["recognise"]), tenant).rejects.toThrow(/tenant .* must be 1-64 letters/);
    }
  });

  it("applies the liveness policy: required refuses a failing face, advisory reports it, off skips it", async () => {
    // A printed photo held to a camera scores 0.0003 on the liveness model, under its 0.027 photo threshold.
    const image = b64(shared("data", "antispoof_samples", "silentface", "image_F1.jpg"));
    type Faces = {
      faces: { outcome: string; liveness?: number; reason?: string }[];
      liveness: string;
      livenessSource: string;
      livenessThreshold: number;
    };
    const required = (await call("POST", "/v1/identify", keyOf.kiosk, { image })).json as unknown as Faces;
    expect(required).toMatchObject({ liveness: "required", livenessSource: "deployment", livenessThreshold: 0.027 });
    const refused = required.faces.filter((f) => f.outcome === "rejected-spoof");
    expect(refused).toHaveLength(1);
    // The refusal explains itself: the score, the threshold, the policy and who set it.
    const score = Number(refused[0]?.liveness).toFixed(3);
    expect(refused[0]?.reason).toBe(
      `liveness ${score} is under ${required.livenessThreshold.toFixed(3)}: the "required" policy, set by the deployment, refuses a face scored under it (a stored photo of a real person can score low: liveness "off" judges photos, with an admin key)`,
    );
    const advisory = (await call("POST", "/v1/identify", keyOf.admin, { image, liveness: "advisory" })).json as unknown as Faces;
    expect(advisory).toMatchObject({ liveness: "advisory", livenessSource: "request" });
    expect(advisory.faces.some((f) => f.outcome === "rejected-spoof")).toBe(false);
    expect(Math.min(...advisory.faces.map((f) => f.liveness as number))).toBeLessThan(required.livenessThreshold);
    const off = (await call("POST", "/v1/identify", keyOf.admin, { image, liveness: "off" })).json as unknown as Faces;
    expect(off.faces).toHaveLength(required.faces.length);
    expect(off.faces.every((f) => f.liveness === undefined && f.outcome !== "rejected-spoof")).toBe(true);
    // Looser than the camera's policy needs an admin key; stricter is anyone's to ask.
    const loosened = await call("POST", "/v1/identify", keyOf.kiosk, { image, liveness: "advisory" });
    expect(loosened.status).toBe(403);
    expect(loosened.json.message).toMatch(/only an admin key/);
    expect((await call("POST", "/v1/identify", keyOf.kiosk, { image, liveness: "required" })).status).toBe(200);
    expect((await call("POST", "/v1/identify", keyOf.kiosk, { image, liveness: "maybe" })).status).toBe(400);
  });

  it("decides liveness over a burst of frames as a camera track: the face's own and those it is found in", async () => {
    // Consecutive frames of one NUAA capture: a person (0.060, 0.075, 0.321, 0.685, 0.041 one by one)
    // and a printed photo of them (0.001, 0.026, no face found, 0.000, 0.001).
    const nuaa = (cls: string, n: number) => b64(shared("data", "nuaa", "Detectedface", cls, "0001", `0001_00_00_01_${n}.jpg`));
    type Burst = {
      faces: { outcome: string; liveness: number; livenessFrames?: number; reason?: string }[];
      livenessThreshold: number;
    };
    const alone = async (cls: string, n: number) =>
      ((await call("POST", "/v1/identify", keyOf.admin, { image: nuaa(cls, n), liveness: "advisory" })).json as unknown as Burst)
        .faces[0]?.liveness as number;
    const real = [0, 2, 6, 12, 16];
    const live = (
      await call("POST", "/v1/identify", keyOf.kiosk, {
        image: nuaa("ClientFace", 0),
        frames: real.slice(1).map((n) => nuaa("ClientFace", n)),
      })
    ).json as unknown as Burst;
    // Five frames: judged at the pack's track threshold, on the mean of the five scores' log-odds.
    expect(live.livenessThreshold).toBe(0.133);
    expect(live.faces[0]).toMatchObject({ livenessFrames: 5 });
    expect(live.faces[0]?.outcome).not.toBe("rejected-spoof");
    const logit = (p: number) => Math.log(p / (1 - p));
    const scores = await Promise.all(real.map((n) => alone("ClientFace", n)));
    const mean = scores.reduce((sum, p) => sum + logit(p), 0) / scores.length;
    expect(live.faces[0]?.liveness).toBeCloseTo(1 / (1 + Math.exp(-mean)), 5);
    const printed = (
      await call("POST", "/v1/identify", keyOf.kiosk, {
        image: nuaa("ImposterFace", 0),
        frames: [5, 13, 18, 22].map((n) => nuaa("ImposterFace", n)),
      })
    ).json as unknown as Burst;
    // The frame with no face adds nothing: four frames, judged at the one-frame threshold.
    expect(printed.faces[0]).toMatchObject({ outcome: "rejected-spoof", livenessFrames: 4 });
    expect(printed.faces[0]?.reason).toMatch(/^liveness 0\.\d{3} over 4 frames is under 0\.354: the "required" policy/);
    // Verify takes a burst too: the same person's five frames pass; their print's five are no match.
    type Verified = { match: boolean; liveness: number; livenessFrames: number; livenessThreshold: number; reason?: string };
    const person = (
      await call("POST", "/v1/verify", keyOf.kiosk, {
        image: nuaa("ClientFace", 0),
        otherImage: nuaa("ClientFace", 12),
        frames: real.slice(1).map((n) => nuaa("ClientFace", n)),
      })
    ).json as unknown as Verified;
    expect(person).toMatchObject({ match: true, livenessFrames: 5, livenessThreshold: 0.133 });
    expect(person.liveness).toBeCloseTo(live.faces[0]?.liveness as number, 6);
    const print = (
      await call("POST", "/v1/verify", keyOf.kiosk, {
        image: nuaa("ImposterFace", 0),
        otherImage: nuaa("ImposterFace", 18),
        frames: [5, 18, 22, 27].map((n) => nuaa("ImposterFace", n)),
      })
    ).json as unknown as Verified;
    expect(print).toMatchObject({ match: false, livenessFrames: 5 });
    expect(print.reason).toMatch(/^liveness 0\.\d{3} over 5 frames is under 0\.133: the "required" policy/);
    // The same frame sent again adds nothing: one frame, judged at the one-frame threshold.
    const copies = (
      await call("POST", "/v1/identify", keyOf.kiosk, {
        image: nuaa("ClientFace", 12),
        frames: [12, 12, 12, 12].map((n) => nuaa("ClientFace", n)),
      })
    ).json as unknown as Burst;
    expect(copies.faces[0]).toMatchObject({ livenessFrames: 1 });
    expect(copies.livenessThreshold).toBe(0.354);
    const many = Array.from({ length: 10 }, () => nuaa("ClientFace", 0));
    expect((await call("POST", "/v1/identify", keyOf.kiosk, { image: nuaa("ClientFace", 0), frames: many })).status).toBe(413);
  });

  it("erases a subject: it is never returned again", async () => {
    const r = await call("DELETE", `/v1/subjects/${ids.alex_lacamoire}`, keyOf.admin);
    expect(r.json).toMatchObject({ templatesRemoved: 1 });
    const again = await call("POST", "/v1/identify", keyOf.kiosk, { image: b64(knn("test", "alex_lacamoire1.jpg")) });
    expect(names(again.json.faces as never)).toEqual(["unknown"]);
    expect((await audit.verify("acme")).intact).toBe(true);
  });
});
