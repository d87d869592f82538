import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FaceRecognitionServiceClient } from "@facerec/contracts";
import { RecordLog } from "@facerec/storage";
import { describeWithShared, facerec, shared } from "@facerec/testkit";
import { type EmbeddedGateway, embeddedGateway } from "@facerec/testkit/servers";
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, expect, it } from "vitest";

/**
 * Floods on one gateway process (`pnpm start`), bounded in count: every request is answered with a
 * success or a refusal the API documents, resident memory grows by less than MEMORY_BOUND while it
 * lasts, and the process serves normally afterwards.
 */
const FLOOD = 1000;
const STREAM_KEYS = 30;
const STREAMS_PER_KEY = 10;
/** The README's figure for a flood's memory growth. */
const MEMORY_BOUND = 500 * 1024 * 1024;

let gw: EmbeddedGateway;
let otherTenant: string;
let data: string;
let admin: string;
let photo: Buffer;

async function createKey(name: string, scopes: string[]): Promise<string> {
  const r = await fetch(`${gw.url}/v1/keys`, {
    method: "POST",
    headers: { "x-api-key": admin, "content-type": "application/json" },
    body: JSON.stringify({ name, scopes }),
  });
  expect(r.status).toBe(201);
  return ((await r.json()) as { key: string }).key;
}

/** Run `load` while sampling the gateway's resident memory; resolves with its result and the peak growth. */
async function measured<T>(load: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const before = gw.rss();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, gw.rss());
  }, 20);
  try {
    const result = await load();
    peak = Math.max(peak, gw.rss());
    return { result, growth: peak - before };
  } finally {
    clearInterval(sampler);
  }
}

const tally = (values: (number | string)[]) =>
  Object.fromEntries([...new Set(values)].sort().map((v) => [v, values.filter((x) => x === v).length]));

describeWithShared("a flood on one gateway process", () => {
  beforeAll(async () => {
    photo = readFileSync(shared("data", "facerec_examples", "knn_examples", "test", "obama1.jpg"));
    data = mkdtempSync(join(tmpdir(), "flood-"));
    // A second tenant's key, made on the folder before the gateway holds it.
    const made = await facerec(
      "keys",
      "create",
      "--tenant",
      "other",
      "--scopes",
      "recognise,enrol",
      "--name",
      "other",
      "--data",
      data,
    );
    otherTenant = JSON.parse(made.stdout).key;
    gw = await embeddedGateway(data);
    admin = /(frk_[0-9a-f]{16}_[A-Za-z0-9_-]{43})/.exec(gw.output)?.[1] as string;
    expect(admin).toBeDefined();
  });
  afterAll(async () => {
    expect(await gw?.stop()).toBe(0);
    rmSync(data, { recursive: true, force: true });
  });

  const identify = (key: string) =>
    fetch(`${gw.url}/v1/identify`, {
      method: "POST",
      headers: { "x-api-key": key, "content-type": "application/json" },
      body: JSON.stringify({ image: photo.toString("base64") }),
    });

  it(`${FLOOD} concurrent identify requests with one key: each 200, 429 or 503, memory bounded, every refusal audited`, async () => {
    const flood = await createKey("flood", ["recognise"]);
    const auditor = await createKey("auditor", ["audit", "recognise"]);
    for (let i = 0; i < 2; i++) expect((await identify(auditor)).status).toBe(200);
    const { result, growth } = await measured(() =>
      Promise.all(
        Array.from({ length: FLOOD }, async () => {
          const r = await identify(flood);
          await r.arrayBuffer();
          return { status: r.status, retryAfter: r.headers.get("retry-after") };
        }),
      ),
    );
    const counts = tally(result.map((r) => r.status));
    console.log(`REST flood: ${JSON.stringify(counts)}, peak RSS growth ${(growth / 2 ** 20).toFixed(0)} MiB`);
    expect(Object.keys(counts).every((s) => ["200", "429", "503"].includes(s))).toBe(true);
    expect(counts[200]).toBeGreaterThan(0);
    for (const r of result.filter((x) => x.status !== 200)) expect(Number(r.retryAfter)).toBeGreaterThan(0);
    expect(growth).toBeLessThan(MEMORY_BOUND);

    // Healthy after: another key identifies at once, and every refusal of the flood is in the audit trail.
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect((await identify(auditor)).status).toBe(200);
    const audited = async (decision: string) => {
      const r = await fetch(`${gw.url}/v1/audit?decision=${decision}&pageSize=1000`, { headers: { "x-api-key": auditor } });
      return ((await r.json()) as { entries: unknown[] }).entries.length;
    };
    expect(await audited("rejected:UNAVAILABLE")).toBe(counts[503] ?? 0);
    expect(await audited("rejected-rate-limit")).toBe(counts[429] ?? 0);
  });

  it(`${STREAM_KEYS * STREAMS_PER_KEY} SSE streams over ${STREAM_KEYS} keys: 8 open per key, the rest 429; a closed one frees its slot`, async () => {
    const keys: string[] = [];
    for (let i = 0; i < STREAM_KEYS; i++) keys.push(await createKey(`console ${i}`, ["recognise"]));
    const aborts: AbortController[] = [];
    const open = (key: string) => {
      const abort = new AbortController();
      aborts.push(abort);
      return fetch(`${gw.url}/v1/matches`, { headers: { "x-api-key": key }, signal: abort.signal });
    };
    const { result, growth } = await measured(() =>
      Promise.all(keys.flatMap((key) => Array.from({ length: STREAMS_PER_KEY }, () => open(key).then((r) => r.status)))),
    );
    const counts = tally(result);
    console.log(`SSE: ${JSON.stringify(counts)}, peak RSS growth ${(growth / 2 ** 20).toFixed(0)} MiB`);
    expect(counts).toEqual({ 200: STREAM_KEYS * 8, 429: STREAM_KEYS * (STREAMS_PER_KEY - 8) });
    expect(growth).toBeLessThan(MEMORY_BOUND);
    for (const a of aborts) a.abort();
    // The server learns of the closes as the sockets end: poll until the first key may open one again.
    let again = 429;
    for (let tries = 0; again !== 200 && tries < 100; tries++) {
      again = (await open(keys[0] as string)).status;
      if (again !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(again).toBe(200);
    for (const a of aborts) a.abort();
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });

  it("300 requests with bad keys from one address: the valid key is still answered 200, the trail grows by a few entries", async () => {
    const trail = join(data, "audit", "audit.log");
    const entries = () => {
      let n = 0;
      RecordLog.read(trail, () => n++);
      return n;
    };
    const before = entries();
    const bad = ["frk_0123456789abcdef_nope", `${admin.slice(0, 21)}${"B".repeat(43)}`, "", "not-a-key"];
    const answers: number[] = [];
    for (let i = 0; i < 300; i += 10) {
      const batch = Array.from({ length: 10 }, (_, j) =>
        fetch(`${gw.url}/v1/subjects`, { headers: { "x-api-key": bad[(i + j) % bad.length] as string } }).then((r) => r.status),
      );
      answers.push(...(await Promise.all(batch)));
    }
    expect(new Set(answers)).toEqual(new Set([401, 429]));
    expect((await fetch(`${gw.url}/v1/subjects`, { headers: { "x-api-key": admin } })).status).toBe(200);
    // One entry for the address's and one for the key id's first failure; the rest are counted in aggregate entries.
    expect(entries() - before).toBeLessThanOrEqual(30);
  });

  it("one tenant's nine idle 30 MiB uploads: another tenant identifies and creates a subject meanwhile", async () => {
    const { hostname, port } = new URL(gw.url);
    const idle: Socket[] = [];
    try {
      for (let i = 0; i < 9; i++) {
        const socket = connect(Number(port), hostname);
        await once(socket, "connect");
        socket.write(
          `POST /v1/identify HTTP/1.1\r\nhost: ${hostname}\r\nx-api-key: ${admin}\r\ncontent-type: application/json\r\ncontent-length: ${30 * 2 ** 20}\r\n\r\n{"image":"`,
        );
        idle.push(socket);
      }
      // Four fit A's 128 MiB share; the other five are told so before B asks for anything.
      const answers = idle.map((socket) => {
        let text = "";
        socket.on("data", (chunk: Buffer) => {
          text += chunk.toString();
        });
        return () => text;
      });
      await expect.poll(() => answers.filter((a) => a().startsWith("HTTP/1.1 503")).length).toBe(5);
      const identified = await fetch(`${gw.url}/v1/identify`, {
        method: "POST",
        headers: { "x-api-key": otherTenant, "content-type": "application/json" },
        // 20 MiB declared (the JSON padded with spaces): more than the 16 MiB tenant A's uploads would
        // leave of the gateway's 256 MiB if A could take it all; A's own share is 128 MiB.
        body: `${JSON.stringify({ image: photo.toString("base64") })}${" ".repeat(20 * 2 ** 20)}`,
      });
      expect(identified.status).toBe(200);
      const created = await fetch(`${gw.url}/v1/subjects`, {
        method: "POST",
        headers: { "x-api-key": otherTenant, "content-type": "application/json" },
        body: JSON.stringify({ name: "meanwhile" }),
      });
      expect(created.status).toBe(201);
    } finally {
      for (const s of idle) s.destroy();
    }
  });

  it(`the same flood over gRPC: OK, RESOURCE_EXHAUSTED or UNAVAILABLE, memory bounded`, async () => {
    const key = await createKey("grpc flood", ["recognise"]);
    const client = new FaceRecognitionServiceClient(gw.grpc, credentials.createInsecure());
    const meta = new Metadata();
    meta.set("x-api-key", key);
    const call = () =>
      new Promise<number>((resolve) =>
        client.identify({ image: photo, topK: 0, camera: "", liveness: "", frames: [] }, meta, (error: ServiceError | null) =>
          resolve(error ? error.code : status.OK),
        ),
      );
    try {
      expect(await call()).toBe(status.OK);
      const { result, growth } = await measured(() => Promise.all(Array.from({ length: FLOOD }, call)));
      const counts = tally(result.map((code) => status[code] as string));
      console.log(`gRPC flood: ${JSON.stringify(counts)}, peak RSS growth ${(growth / 2 ** 20).toFixed(0)} MiB`);
      expect(Object.keys(counts).every((c) => ["OK", "RESOURCE_EXHAUSTED", "UNAVAILABLE"].includes(c))).toBe(true);
      expect(counts.OK).toBeGreaterThan(0);
      expect(growth).toBeLessThan(MEMORY_BOUND);
    } finally {
      client.close();
    }
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
  it("sixteen unauthenticated 25 MiB gRPC Identify calls are refused before they are read: memory grows by less than 200 MiB", async () => {
    const client = new FaceRecognitionServiceClient(gw.grpc, credentials.createInsecure(), {
      "grpc.max_send_message_length": 64 * 2 ** 20,
    });
    const meta = new Metadata();
    meta.set("x-api-key", `frk_${"0".repeat(16)}_${"C".repeat(43)}`);
    const image = Buffer.alloc(25 * 2 ** 20, 7);
    const call = () =>
      new Promise<number>((resolve) =>
        client.identify({ image, topK: 0, camera: "", liveness: "", frames: [] }, meta, (error: ServiceError | null) =>
          resolve(error ? error.code : status.OK),
        ),
      );
    try {
      const { result, growth } = await measured(() => Promise.all(Array.from({ length: 16 }, call)));
      const counts = tally(result.map((code) => status[code] as string));
      console.log(
        `16 unauthenticated 25 MiB gRPC calls: ${JSON.stringify(counts)}, peak RSS growth ${(growth / 2 ** 20).toFixed(0)} MiB`,
      );
      expect(Object.keys(counts).every((c) => ["UNAUTHENTICATED", "RESOURCE_EXHAUSTED"].includes(c))).toBe(true);
      expect(growth).toBeLessThan(200 * 2 ** 20);
    } finally {
      client.close();
    }
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});
