import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FaceRecognitionServiceClient, JobKind } from "@facerec/contracts";
import { API_ERRORS, type Gateway, openGateway, Recognition } from "@facerec/operations";
import { describeWithShared } from "@facerec/testkit";
import { type ClientReadableStream, credentials, Metadata, type Server, type ServiceError, status } from "@grpc/grpc-js";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildApp, buildGrpcServer, listenGrpc } from "../src/index.js";
import { knn } from "./scenarios.js";

/**
 * REST and gRPC held to the same rules: each case is sent both ways to one gateway, and the gRPC status
 * must be the one the error table gives for the REST status. Small limits make every bound reachable.
 */
const LIMITS = { ratePerMinute: 60, subjectName: 20, metadataEntries: 3, enrolImages: 2, imageBytes: 60_000, streamsPerKey: 2 };

let gateway: Gateway;
let app: FastifyInstance;
let base: string;
let server: Server;
let client: InstanceType<typeof FaceRecognitionServiceClient>;
const keyOf: Record<string, string> = {};
let photo: Buffer; // obama1.jpg, 79 KB: over the 60 KB image limit
let small: Buffer;
let smallOther: Buffer; // obama2.jpg the same way: a second photo, not a near-copy of the first

const meta = (key?: string): Metadata => {
  const m = new Metadata();
  if (key) m.set("x-api-key", key);
  return m;
};

/** A unary call's status code and response. */
function rpc(method: string, request: unknown, key?: string): Promise<{ code: number; response?: Record<string, unknown> }> {
  return new Promise((resolve) => {
    (client as unknown as Record<string, (r: unknown, m: Metadata, cb: (e: ServiceError | null, r: unknown) => void) => void>)[
      method
    ]?.(request, meta(key), (error, response) =>
      resolve(error ? { code: error.code } : { code: status.OK, response: response as Record<string, unknown> }),
    );
  });
}

async function rest(method: string, path: string, key: string | undefined, body?: unknown) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { ...(key ? { "x-api-key": key } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

/** A whole QueryAuditRequest (the generated encoder needs every scalar field). */
const auditQuery = (q: { pageSize?: number; pageToken?: string; until?: Date }) => ({
  operation: "",
  subjectId: "",
  decision: "",
  pageSize: 0,
  pageToken: "",
  ...q,
});
const LIST = { pageSize: 0, pageToken: "" };

/** The gRPC status the error table pairs with an HTTP status. */
const grpcFor = (httpStatus: number): number => {
  if (httpStatus < 300) return status.OK;
  const row = API_ERRORS.find((e) => e.status === httpStatus);
  return status[row?.code as keyof typeof status] as number;
};

describeWithShared("REST and gRPC parity", () => {
  beforeAll(async () => {
    photo = readFileSync(knn("test", "obama1.jpg"));
    // Crops retained, so that enrolment over either transport can be seen to keep them.
    gateway = await openGateway(mkdtempSync(join(tmpdir(), "parity-")), {
      limits: LIMITS,
      env: { ...process.env, FACEREC_RETAIN_CROPS: "1" },
    });
    const { keys, audit, recognition } = gateway;
    keyOf.admin = (await keys.create("acme", "admin", ["admin"])).key;
    keyOf.kiosk = (await keys.create("acme", "kiosk", ["recognise"])).key;
    keyOf.streams = (await keys.create("acme", "console", ["recognise"])).key;
    keyOf.rate = (await keys.create("acme", "rate", ["recognise"])).key;
    app = await buildApp(recognition, audit);
    base = await app.listen({ host: "127.0.0.1", port: 0 });
    server = buildGrpcServer(recognition);
    client = new FaceRecognitionServiceClient(
      `127.0.0.1:${await listenGrpc(server, "127.0.0.1:0")}`,
      credentials.createInsecure(),
    );
    const sharp = (await import("sharp")).default;
    small = await sharp(photo).resize(320).jpeg({ quality: 80 }).toBuffer();
    smallOther = await sharp(readFileSync(knn("train", "obama", "obama2.jpg")))
      .resize(320)
      .jpeg({ quality: 80 })
      .toBuffer();
  });
  afterAll(async () => {
    client?.close();
    server?.forceShutdown();
    await app?.close();
    await gateway?.close();
  });

  it("answers each case with the same status on both transports", async () => {
    const subject = (await rest("POST", "/v1/subjects", keyOf.admin, { name: "obama" })).json.id as string;
    const b64 = (b: Buffer) => b.toString("base64");
    const cases: {
      name: string;
      rest: () => Promise<{ status: number }>;
      grpc: () => Promise<{ code: number }>;
      expect: number;
    }[] = [
      {
        name: "a name over the limit",
        rest: () => rest("POST", "/v1/subjects", keyOf.admin, { name: "x".repeat(21) }),
        grpc: () => rpc("createSubject", { name: "x".repeat(21), metadata: {} }, keyOf.admin),
        expect: 400,
      },
      {
        name: "a key name over the limit",
        rest: () => rest("POST", "/v1/keys", keyOf.admin, { name: "k".repeat(21), scopes: ["recognise"] }),
        grpc: () => rpc("createKey", { name: "k".repeat(21), scopes: ["recognise"], cameras: [] }, keyOf.admin),
        expect: 400,
      },
      {
        name: "an id over 100 characters",
        rest: () => rest("GET", `/v1/subjects/${"i".repeat(101)}`, keyOf.admin),
        grpc: () => rpc("getSubject", { id: "i".repeat(101) }, keyOf.admin),
        expect: 400,
      },
      {
        name: "a decision id that is not a request id",
        rest: () =>
          rest("POST", "/v1/feedback", keyOf.admin, {
            image: b64(small),
            subjectId: subject,
            verdict: "wrong",
            decisionId: "no spaces",
          }),
        grpc: () => rpc("feedback", { image: small, subjectId: subject, verdict: "wrong", decisionId: "no spaces" }, keyOf.admin),
        expect: 400,
      },
      {
        name: "too many metadata entries",
        rest: () => rest("POST", "/v1/subjects", keyOf.admin, { name: "a", metadata: { a: "1", b: "2", c: "3", d: "4" } }),
        grpc: () => rpc("createSubject", { name: "a", metadata: { a: "1", b: "2", c: "3", d: "4" } }, keyOf.admin),
        expect: 400,
      },
      {
        name: "more images than one enrolment takes",
        rest: () => rest("POST", `/v1/subjects/${subject}/enroll`, keyOf.admin, { images: [b64(small), b64(small), b64(small)] }),
        grpc: () => rpc("enroll", { subjectId: subject, images: [small, small, small] }, keyOf.admin),
        expect: 413,
      },
      {
        name: "an image over the size limit",
        rest: () => rest("POST", "/v1/identify", keyOf.kiosk, { image: b64(photo) }),
        grpc: () => rpc("identify", { image: photo, topK: 0, camera: "", liveness: "", frames: [] }, keyOf.kiosk),
        expect: 413,
      },
      {
        name: "a burst past its frames",
        rest: () => rest("POST", "/v1/identify", keyOf.kiosk, { image: b64(small), frames: Array(10).fill(b64(small)) }),
        grpc: () =>
          rpc("identify", { image: small, topK: 0, camera: "", liveness: "", frames: Array(10).fill(small) }, keyOf.kiosk),
        expect: 413,
      },
      {
        name: "a camera name that is not a token",
        rest: () => rest("POST", "/v1/identify", keyOf.kiosk, { image: b64(small), camera: "two words" }),
        grpc: () => rpc("identify", { image: small, topK: 0, camera: "two words", liveness: "", frames: [] }, keyOf.kiosk),
        expect: 400,
      },
      {
        name: "an audit page over the maximum",
        rest: () => rest("GET", "/v1/audit?pageSize=1001", keyOf.admin),
        grpc: () => rpc("queryAudit", auditQuery({ pageSize: 1001 }), keyOf.admin),
        expect: 400,
      },
      {
        name: "a page token that was never given",
        rest: () => rest("GET", "/v1/audit?pageToken=abc", keyOf.admin),
        grpc: () => rpc("queryAudit", auditQuery({ pageToken: "abc" }), keyOf.admin),
        expect: 400,
      },
      {
        name: "an unknown subject",
        rest: () => rest("GET", "/v1/subjects/nobody", keyOf.kiosk),
        grpc: () => rpc("getSubject", { id: "nobody" }, keyOf.kiosk),
        expect: 404,
      },
      {
        name: "a wrong key",
        rest: () => rest("GET", "/v1/subjects", "frk_0123456789abcdef_wrong"),
        grpc: () => rpc("listSubjects", LIST, "frk_0123456789abcdef_wrong"),
        expect: 401,
      },
      {
        name: "a key without the scope",
        rest: () => rest("POST", "/v1/subjects", keyOf.kiosk, { name: "eve" }),
        grpc: () => rpc("createSubject", { name: "eve", metadata: {} }, keyOf.kiosk),
        expect: 403,
      },
      {
        name: "an image within the limits",
        rest: () => rest("POST", `/v1/subjects/${subject}/enroll`, keyOf.admin, { images: [b64(small)] }),
        // Another photo of him: the same one again would be a near-copy, which the gallery leaves out.
        grpc: () => rpc("enroll", { subjectId: subject, images: [smallOther] }, keyOf.admin),
        expect: 200,
      },
      {
        name: "a looser liveness policy from a key that is not admin",
        rest: () => rest("POST", "/v1/identify", keyOf.kiosk, { image: b64(small), liveness: "off" }),
        grpc: () => rpc("identify", { image: small, topK: 0, camera: "", liveness: "off", frames: [] }, keyOf.kiosk),
        expect: 403,
      },
      {
        name: "a verify probe over the size limit",
        rest: () => rest("POST", "/v1/verify", keyOf.kiosk, { image: b64(photo), subjectId: subject }),
        grpc: () => rpc("verify", { image: photo, subjectId: subject, frames: [] }, keyOf.kiosk),
        expect: 413,
      },
      {
        name: "a rename over the limit",
        rest: () => rest("PATCH", `/v1/subjects/${subject}`, keyOf.admin, { name: "y".repeat(21) }),
        grpc: () => rpc("updateSubject", { id: subject, name: "y".repeat(21), metadata: {} }, keyOf.admin),
        expect: 400,
      },
      {
        name: "an erasure of an unknown subject",
        rest: () => rest("DELETE", "/v1/subjects/nobody", keyOf.admin),
        grpc: () => rpc("deleteSubject", { id: "nobody" }, keyOf.admin),
        expect: 404,
      },
      {
        name: "a key with an unknown scope",
        rest: () => rest("POST", "/v1/keys", keyOf.admin, { name: "k", scopes: ["root"] }),
        grpc: () => rpc("createKey", { name: "k", scopes: ["root"], cameras: [] }, keyOf.admin),
        expect: 400,
      },
      {
        name: "a revocation of an unknown key",
        rest: () => rest("DELETE", "/v1/keys/0123456789abcdef", keyOf.admin),
        grpc: () => rpc("revokeKey", { id: "0123456789abcdef" }, keyOf.admin),
        expect: 404,
      },
      {
        name: "a job where this deployment has no Redis",
        rest: () => rest("POST", "/v1/jobs", keyOf.admin, { kind: "recalibrate" }),
        grpc: () =>
          rpc("startJob", { kind: JobKind.JOB_KIND_RECALIBRATE, folder: "", subjectId: "", idempotencyKey: "" }, keyOf.admin),
        expect: 503,
      },
      {
        name: "the audit chain's check without the audit scope",
        rest: () => rest("GET", "/v1/audit/verify", keyOf.kiosk),
        grpc: () => rpc("verifyAudit", {}, keyOf.kiosk),
        expect: 403,
      },
    ];
    for (const c of cases) {
      expect((await c.rest()).status, `REST: ${c.name}`).toBe(c.expect);
      expect((await c.grpc()).code, `gRPC: ${c.name}`).toBe(grpcFor(c.expect));
    }
    // Enrolment over both transports kept each template's aligned crop (retention is on here).
    const templates = gateway.gallery.templatesOf("acme", subject);
    expect(templates).toHaveLength(2);
    for (const t of templates) expect((await gateway.gallery.cropOf(t))?.subarray(1, 4).toString()).toBe("PNG");
  });

  it("pages the audit trail the same way on both transports", async () => {
    const restPage = (await rest("GET", "/v1/audit?pageSize=3", keyOf.admin)).json;
    const grpcPage = (await rpc("queryAudit", auditQuery({ pageSize: 3 }), keyOf.admin)).response as Record<string, unknown>;
    const ids = (entries: unknown) => (entries as { sequence: number | string }[]).map((e) => Number(e.sequence));
    expect(ids(grpcPage.entries)).toEqual(ids(restPage.entries));
    expect(grpcPage.nextPageToken).toBe(restPage.nextPageToken);
    const next = (await rest("GET", `/v1/audit?pageSize=3&pageToken=${restPage.nextPageToken}`, keyOf.admin)).json;
    const grpcNext = (
      await rpc("queryAudit", auditQuery({ pageSize: 3, pageToken: String(restPage.nextPageToken) }), keyOf.admin)
    ).response;
    expect(ids(grpcNext?.entries)).toEqual(ids(next.entries));
    // since/until filter over gRPC as over REST.
    const until = new Date(Date.parse(String((restPage.entries as { time: string }[])[1]?.time)) + 1);
    const before = (await rest("GET", `/v1/audit?until=${until.toISOString()}`, keyOf.admin)).json;
    const grpcBefore = (await rpc("queryAudit", auditQuery({ until }), keyOf.admin)).response;
    expect(ids(grpcBefore?.entries)).toEqual(ids(before.entries));
  });

  it("counts one rate limit and one stream cap per key across both transports", async () => {
    // Alternate the transports on one key: one bucket of 60, refilled at one a second while this runs.
    const started = Date.now();
    let passed = 0;
    for (let i = 0; i < 80; i++) {
      const ok =
        i % 2
          ? (await rest("GET", "/v1/subjects", keyOf.rate)).status === 200
          : (await rpc("listSubjects", LIST, keyOf.rate)).code === status.OK;
      if (ok) passed++;
    }
    expect(passed).toBeGreaterThanOrEqual(LIMITS.ratePerMinute);
    expect(passed).toBeLessThanOrEqual(LIMITS.ratePerMinute + Math.ceil((Date.now() - started) / 1000));

    const sse = new AbortController();
    const first = await fetch(`${base}/v1/matches`, { headers: { "x-api-key": keyOf.streams as string }, signal: sse.signal });
    expect(first.status).toBe(200);
    // Two WatchMatches race for the key's one remaining slot: exactly one is refused, and by then the
    // other holds it, so a fourth stream (REST) is refused too.
    const watch = () =>
      (client as unknown as { watchMatches(r: unknown, m: Metadata): ClientReadableStream<unknown> }).watchMatches(
        { cameras: [] },
        meta(keyOf.streams),
      );
    const streams = [watch(), watch()];
    const refused = await Promise.race(
      streams.map(
        (call, i) => new Promise<number>((resolve) => call.on("error", (e: ServiceError) => resolve(i * 100 + e.code))),
      ),
    );
    expect(refused % 100).toBe(status.RESOURCE_EXHAUSTED);
    expect((await fetch(`${base}/v1/matches`, { headers: { "x-api-key": keyOf.streams as string } })).status).toBe(429);
    for (const call of streams) call.cancel();
    sse.abort();
  });

  it("limits failed authentications per key id or address across both transports, never a valid key, audited in aggregate", async () => {
    const { engine, gallery, audit, keys } = gateway;
    const recognition = new Recognition(engine, gallery, audit, keys, { limits: { authFailuresPerMinute: 4 } });
    const strict = await buildApp(recognition, audit);
    const url = await strict.listen({ host: "127.0.0.1", port: 0 });
    const grpcServer = buildGrpcServer(recognition);
    const grpcClient = new FaceRecognitionServiceClient(
      `127.0.0.1:${await listenGrpc(grpcServer, "127.0.0.1:0")}`,
      credentials.createInsecure(),
    );
    const listVia = {
      rest: async (key: string) => (await fetch(`${url}/v1/subjects`, { headers: { "x-api-key": key } })).status,
      grpc: (key: string) =>
        new Promise<number>((resolve) =>
          grpcClient.listSubjects(LIST, meta(key), (error: ServiceError | null) => resolve(error ? error.code : status.OK)),
        ),
    };
    try {
      const before = (await audit.query({ tenant: "-", pageSize: 1000 })).entries.length;
      const malformed = "frk_0123456789abcdef_wrong";
      const admin = keyOf.admin as string;
      // The admin key's own id with a wrong secret: a guesser who knows the id.
      const guessed = `${admin.slice(0, 21)}${"A".repeat(43)}`;
      for (const key of [malformed, guessed]) {
        expect(await listVia.rest(key)).toBe(401);
        expect(await listVia.grpc(key)).toBe(status.UNAUTHENTICATED);
        expect(await listVia.rest(key)).toBe(401);
        expect(await listVia.grpc(key)).toBe(status.UNAUTHENTICATED);
        // Four failures a minute for this address (malformed) or key id (well-formed): the fifth waits.
        expect(await listVia.rest(key)).toBe(429);
        expect(await listVia.grpc(key)).toBe(status.RESOURCE_EXHAUSTED);
      }
      // A made-up id counts against the address, not a fresh bucket of its own: refused at once.
      const madeUp = `frk_${"f".repeat(16)}_${"Z".repeat(43)}`;
      expect(await listVia.rest(madeUp)).toBe(429);
      // The valid key from the same address, with its id's failures past the limit, is never refused.
      expect(await listVia.rest(admin)).toBe(200);
      expect(await listVia.grpc(admin)).toBe(status.OK);
      // Each address or key id gets one entry for its first failure in a minute and one with the
      // count of the rest: six failures each, in two or (across a minute's turn) three or four entries.
      await recognition.close();
      const entries = (await audit.query({ tenant: "-", pageSize: 1000 })).entries.slice(before);
      // Entries of one bucket: its individual failures (by their reasons) and its aggregates' counts.
      const accounted = (bucket: RegExp, reasons: RegExp) =>
        entries.reduce((n, e) => {
          if (reasons.test(e.decision)) return n + 1;
          const more = /^rejected-auth:aggregate (\d+) more failed authentications from (.*?) in the minute/.exec(e.decision);
          return more && bucket.test(more[2] as string) ? n + Number(more[1]) : n;
        }, 0);
      expect(entries.filter((e) => e.decision === "rejected-auth:malformed")).not.toHaveLength(0);
      expect(accounted(/^address 127\.0\.0\.1$/, /^rejected-auth:(malformed|unknown)$/)).toBe(7);
      expect(accounted(/^key id [0-9a-f]{16}$/, /^rejected-auth:wrong-secret$/)).toBe(6);
      expect(entries.length).toBeLessThanOrEqual(8);
    } finally {
      grpcClient.close();
      grpcServer.forceShutdown();
      await strict.close();
    }
  });
});
