import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { auditEntries, createFacerecClient, type FacerecClient, must, settle } from "@facerec/client";
import { type Gateway, openGateway } from "@facerec/operations";
import { describeWithShared } from "@facerec/testkit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildApp } from "../src/index.js";
import { knn } from "./scenarios.js";

let data: string;
let gateway: Gateway;
let app: FastifyInstance;
let base: string;
let key: string;
let client: FacerecClient;

/** The SDK (@facerec/client) against an embedded gateway whose keys may make 60 requests a minute and hold one match stream. */
describeWithShared("the TypeScript SDK", () => {
  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), "sdk-"));
    gateway = await openGateway(data, { limits: { ratePerMinute: 60, streamsPerKey: 1 } });
    key = (await gateway.keys.create("acme", "sdk", ["admin"])).key;
    app = await buildApp(gateway.recognition, gateway.audit);
    base = await app.listen({ host: "127.0.0.1", port: 0 });
    client = createFacerecClient({ baseUrl: base, apiKey: key });
  });
  afterAll(async () => {
    await app?.close();
    await gateway?.close();
    rmSync(data, { recursive: true, force: true });
  });

  it("answers errors as values, and a gateway that is not there as status 0", async () => {
    const missing = await settle(client.GET("/v1/subjects/{id}", { params: { path: { id: "nobody" } } }));
    expect(missing).toMatchObject({ ok: false, error: { status: 404, code: "NOT_FOUND" } });
    const wrongKey = await settle(createFacerecClient({ baseUrl: base, apiKey: "frk_0123456789abcdef_wrong" }).GET("/v1/status"));
    expect(wrongKey).toMatchObject({ ok: false, error: { status: 401 } });
    const closed = await settle(createFacerecClient({ baseUrl: "http://127.0.0.1:9", apiKey: key }).GET("/v1/status"));
    expect(closed).toMatchObject({ ok: false, error: { status: 0, code: "UNAVAILABLE" } });
  });

  it("pages the audit trail oldest or newest first", async () => {
    for (const name of ["ada", "bob", "cy", "dee", "eve"]) await must(client.POST("/v1/subjects", { body: { name } }));
    const created = async (order: "oldest" | "newest") => {
      const seen: number[] = [];
      for await (const e of auditEntries(client, { operation: "create-subject", pageSize: 2, order }))
        seen.push(e.sequence ?? -1);
      return seen;
    };
    const oldest = await created("oldest");
    expect(oldest).toHaveLength(5);
    expect(oldest).toEqual([...oldest].sort((a, b) => a - b));
    expect(await created("newest")).toEqual([...oldest].reverse());
  });

  it("hands a 429 back as a value when told not to retry, with when to come back", async () => {
    const impatient = createFacerecClient({ baseUrl: base, apiKey: key, retries: 0 });
    // The key's bucket holds 60 requests; empty it.
    let refused: Awaited<ReturnType<typeof settle>> | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const r = await settle(impatient.GET("/v1/status"));
      if (!r.ok) refused = r;
    }
    expect(refused).toMatchObject({ ok: false, error: { status: 429, code: "RESOURCE_EXHAUSTED", retryAfterSeconds: 1 } });
  });

  it("waits out a 429 for as long as Retry-After says, then gets its answer", async () => {
    // The key's one match stream is held; a second is refused (429, Retry-After: 1, not started) until
    // the first closes, 300 ms later: the patient client's retry a second on gets the stream.
    const holder = new AbortController();
    const held = await client.GET("/v1/matches", { parseAs: "stream", signal: holder.signal });
    expect(held.response.status).toBe(200);
    setTimeout(() => holder.abort(), 300);
    const statuses: number[] = [];
    const watching = new AbortController();
    const patient = createFacerecClient({
      baseUrl: base,
      apiKey: key,
      fetch: async (request) => {
        const response = await fetch(request);
        statuses.push(response.status);
        return response;
      },
    });
    const second = await settle(patient.GET("/v1/matches", { parseAs: "stream", signal: watching.signal }));
    watching.abort();
    expect(second.ok).toBe(true);
    expect(statuses).toEqual([429, 200]);
  });

  it("runs its example: enrol from photos, then name the faces of another", async () => {
    // The key's bucket is still near empty from the test before: the example's calls wait on their 429s.
    const example = join(import.meta.dirname, "..", "..", "..", "packages", "client", "examples", "identify.mjs");
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [example, "obama", knn("train", "obama", "obama.jpg"), "--", knn("test", "obama1.jpg")],
      { env: { ...process.env, FACEREC_URL: base, FACEREC_KEY: key } },
    );
    expect(stdout).toMatch(/^obama\t0\.\d{3}\tmatch$/m);
  });
});
