import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Gateway, openGateway } from "@facerec/operations";
import { describeWithShared, shared } from "@facerec/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildApp } from "../src/index.js";

const MiB = 2 ** 20;
let data: string;
let gateway: Gateway;
let base: string;
let stop: () => Promise<void>;
const keyOf = { a: "", b: "", aAudit: "" };
const sockets: Socket[] = [];

/** An upload that declares its length and then sends nothing: it holds its bytes of the budget. */
function idleUpload(key: string, bytes: number): Promise<Socket> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `POST /v1/identify HTTP/1.1\r\nhost: ${hostname}\r\nx-api-key: ${key}\r\ncontent-type: application/json\r\ncontent-length: ${bytes}\r\n\r\n{"image":"`,
      );
      sockets.push(socket);
      // The gateway answers a refused upload at once; an admitted one waits for its body.
      let answer = "";
      socket.on("data", (chunk) => {
        answer += chunk.toString();
      });
      // Time for the gateway to take (or refuse) its place before the next one is sent.
      setTimeout(() => resolve(Object.assign(socket, { answer: () => answer })), 300);
    });
    socket.on("error", reject);
  });
}

describeWithShared("one tenant slows itself, never another", () => {
  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), "fairness-"));
    gateway = await openGateway(data, {
      limits: { uploadBytesInFlight: 64 * MiB, tenantUploadBytes: 32 * MiB, streamsPerTenant: 2 },
      env: { ...process.env, FACEREC_LIVENESS_POLICY: "off" },
    });
    keyOf.a = (await gateway.keys.create("tenant-a", "a", ["recognise"])).key;
    keyOf.aAudit = (await gateway.keys.create("tenant-a", "a-audit", ["audit"])).key;
    keyOf.b = (await gateway.keys.create("tenant-b", "b", ["recognise", "enrol"])).key;
    const app = await buildApp(gateway.recognition, gateway.audit, { requestTimeoutMs: 60_000 });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
    stop = async () => {
      for (const s of sockets) s.destroy();
      await app.close();
      await gateway.close();
    };
  });
  afterAll(async () => {
    await stop?.();
    rmSync(data, { recursive: true, force: true });
  });

  it("tenant A's idle uploads fill its own share; tenant B identifies and creates subjects meanwhile", async () => {
    // An audit-only key is refused before its body could hold any of the budget.
    const audit = (await idleUpload(keyOf.aAudit, 30 * MiB)) as Socket & { answer: () => string };
    await expect.poll(() => audit.answer()).toMatch(/^HTTP\/1.1 403/);
    const held: (Socket & { answer: () => string })[] = [];
    for (let i = 0; i < 9; i++) held.push((await idleUpload(keyOf.a, 16 * MiB)) as Socket & { answer: () => string });
    // The refusals may come late on a loaded machine: wait for all seven, then the two admitted stay silent.
    const status = (s: { answer: () => string }) => s.answer().split("\r\n")[0] ?? "";
    await expect.poll(() => held.filter((h) => status(h).startsWith("HTTP/1.1 503")).length).toBe(7);
    const answers = held.map(status);
    // Two of A's 16 MiB uploads fit its 32 MiB share (all four would fill the gateway's 64); the rest
    // are told the tenant's share is full.
    expect(answers.filter((a) => a === "")).toHaveLength(2);
    expect(answers.filter((a) => a.startsWith("HTTP/1.1 503"))).toHaveLength(7);
    const photo = readFileSync(shared("data", "facerec_examples", "knn_examples", "test", "obama1.jpg")).toString("base64");
    const identify = await fetch(`${base}/v1/identify`, {
      method: "POST",
      headers: { "x-api-key": keyOf.b, "content-type": "application/json" },
      body: JSON.stringify({ image: photo }),
    });
    expect(identify.status).toBe(200);
    const created = await fetch(`${base}/v1/subjects`, {
      method: "POST",
      headers: { "x-api-key": keyOf.b, "content-type": "application/json" },
      body: JSON.stringify({ name: "B's first" }),
    });
    expect(created.status).toBe(201);

    // Uploads that send nothing are closed once past the grace of 5 s, and give their share back.
    const admitted = held.filter((h) => h.answer() === "");
    const closed = Promise.all(admitted.map((h) => (h.destroyed ? undefined : once(h, "close"))));
    // Well before the 60 s request timeout this gateway has: the minimum rate did it.
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("idle uploads still open after 15 s")), 15_000);
    });
    await Promise.race([closed, bound]).finally(() => clearTimeout(timer));
    const again = (await idleUpload(keyOf.a, 16 * MiB)) as Socket & { answer: () => string };
    expect(again.answer()).toBe("");
  });

  it("holds a tenant to its share of match streams, whatever its keys: another tenant still opens one", async () => {
    const { keys, recognition } = gateway;
    const mint = async (tenant: string, name: string) => keys.authenticate((await keys.create(tenant, name, ["recognise"])).key);
    const [a1, a2, a3, b] = [
      await mint("tenant-a", "s1"),
      await mint("tenant-a", "s2"),
      await mint("tenant-a", "s3"),
      await mint("tenant-b", "s"),
    ];
    const stops = [await recognition.watchMatches(a1, [], () => {}), await recognition.watchMatches(a2, [], () => {})];
    try {
      await expect(recognition.watchMatches(a3, [], () => {})).rejects.toThrow(/this tenant already has 2 match streams open/);
      stops.push(await recognition.watchMatches(b, [], () => {}));
      // A stream closed gives its place back.
      stops.shift()?.();
      stops.push(await recognition.watchMatches(a3, [], () => {}));
    } finally {
      for (const stop of stops) stop();
    }
  });
});
