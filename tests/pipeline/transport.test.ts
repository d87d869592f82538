import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { FaceRecognitionServiceClient, streams } from "@facerec/contracts";
import { Jobs, redisConnection } from "@facerec/pipeline";
import { describeWithShared, shared } from "@facerec/testkit";
import {
  edgeProcess,
  embeddedGateway,
  freePort,
  metricSum,
  natsServer,
  redisServer,
  ServerProcess,
  selfSignedCertificate,
  serviceProcess,
} from "@facerec/testkit/servers";
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect as connectNats } from "@nats-io/transport-node";
import sharp from "sharp";
import { afterAll, expect, it } from "vitest";
import { eventually } from "./stack.js";

const running: ServerProcess[] = [];
const tls = selfSignedCertificate();
const PASSWORD = "s3cret-Pass-7";

/** A frame with nobody in it: what an edge takes (202) once the push is let in. */
const blackFrame = () =>
  sharp({ create: { width: 320, height: 240, channels: 3, background: "#000" } })
    .png()
    .toBuffer();

/** The status a push of `frame` to the edge's /v1/frames gets with these headers. */
const pushStatus = (ops: number, frame: Buffer, headers: Record<string, string>) =>
  fetch(`http://127.0.0.1:${ops}/v1/frames`, { method: "POST", body: frame, headers }).then((r) => r.status);

/** What an edge started without EDGE_PUSH_KEY prints when it makes its key. */
const KEY_PRINTED = /First start: edge push key \(shown once[^\n]*\n\n {2}(\S+)\n/g;

/** The edge's "ready" log lines, parsed: the address its ops and push port is bound to among them. */
const readyLines = (output: string) =>
  output
    .split("\n")
    .filter((l) => l.includes('"msg":"edge detector ready"'))
    .map((l) => JSON.parse(l) as { ops: { address: string; port: number }; pushKey: string });

/** How a TCP connection to host:port ends: "connected", or the error's code (ECONNREFUSED). */
const tcpOutcome = (host: string, port: number) =>
  new Promise<string>((resolve) => {
    const socket = connect(port, host);
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });

/** GET over HTTPS trusting only the test's certificate. */
function httpsGet(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca: tls.cert, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describeWithShared("transport security: credentials and TLS on every link", () => {
  afterAll(async () => {
    for (const p of running.reverse()) await p.stop();
  });

  it("NATS with a user and password: a service connects with NATS_USER/NATS_PASSWORD, refuses to run without, and logs neither", async () => {
    const nats = await natsServer({ user: "facerec", pass: PASSWORD });
    running.push(nats);
    const embedder = await serviceProcess("embedder", { NATS_URL: nats.url, NATS_USER: "facerec", NATS_PASSWORD: PASSWORD });
    running.push(embedder);
    await eventually(async () => expect((await fetch(`http://127.0.0.1:${embedder.ops}/readyz`)).status).toBe(200), 30_000);
    expect(embedder.output).not.toContain(PASSWORD);
    const refused = await serviceProcess("embedder", { NATS_URL: nats.url, NATS_USER: "facerec", NATS_PASSWORD: "wrong" }).then(
      async (p) => {
        await p.stop();
        return "it ran";
      },
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/exited .*before it was ready[\s\S]*(Authorization|authorization)/);
  });

  it("NATS over TLS: a service trusting the server's certificate (NATS_TLS_CA_FILE) connects", async () => {
    const nats = await natsServer({ tls });
    running.push(nats);
    expect(nats.url).toMatch(/^tls:\/\//);
    const embedder = await serviceProcess("embedder", { NATS_URL: nats.url, NATS_TLS_CA_FILE: tls.certFile });
    running.push(embedder);
    await eventually(async () => expect((await fetch(`http://127.0.0.1:${embedder.ops}/readyz`)).status).toBe(200), 30_000);
  });

  it("Redis with a password: jobs work with the URL's password, and are refused without it", async () => {
    const redis = await redisServer({ password: PASSWORD });
    running.push(redis);
    const jobs = new Jobs(redisConnection(redis.url));
    const job = await jobs.add({ kind: "recalibrate", tenant: "acme" });
    expect((await jobs.get("acme", job.id))?.kind).toBe("recalibrate");
    await jobs.close();
    // The server does require it: without the password it answers nothing but NOAUTH.
    const anonymous = spawnSync("redis-cli", ["-p", String(redis.port), "ping"], { encoding: "utf8" });
    expect(anonymous.stdout).toMatch(/NOAUTH/);
  });

  it("the gateway with TLS_KEY_FILE/TLS_CERT_FILE: REST over HTTPS and gRPC over TLS; metrics only on the ops port", async () => {
    const gw = await embeddedGateway(mkdtempSync(join(tmpdir(), "tls-gateway-")), {
      TLS_KEY_FILE: tls.keyFile,
      TLS_CERT_FILE: tls.certFile,
    });
    try {
      const key = /(frk_[0-9a-f]{16}_[A-Za-z0-9_-]{43})/.exec(gw.output)?.[1] as string;
      expect(gw.url).toMatch(/^https:\/\//);
      expect(await httpsGet(`${gw.url}/v1/subjects`, { "x-api-key": key })).toBe(200);
      await expect(fetch(gw.url.replace("https:", "http:"))).rejects.toThrow();
      const client = new FaceRecognitionServiceClient(gw.grpc, credentials.createSsl(tls.cert));
      const meta = new Metadata();
      meta.set("x-api-key", key);
      const code = await new Promise<number>((resolve) =>
        client.listSubjects({ pageSize: 0, pageToken: "" }, meta, (error: ServiceError | null) =>
          resolve(error ? error.code : status.OK),
        ),
      );
      client.close();
      expect(code).toBe(status.OK);
      const plain = new FaceRecognitionServiceClient(gw.grpc, credentials.createInsecure());
      const refused = await new Promise<number>((resolve) =>
        plain.listSubjects({ pageSize: 0, pageToken: "" }, meta, { deadline: Date.now() + 3000 }, (error: ServiceError | null) =>
          resolve(error ? error.code : status.OK),
        ),
      );
      plain.close();
      expect(refused).not.toBe(status.OK);
      // Metrics on the ops port, not on the API.
      const metrics = await fetch(`${gw.ops}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^facerec_process_resident_memory_bytes/m);
      expect(await httpsGet(`${gw.url}/metrics`)).toBe(404);
    } finally {
      await gw.stop();
    }
  });

  it("NATS users per tenant: an edge with acme's credentials publishes acme's crops and nothing of globex's", async () => {
    // The permissions docs/distributed.md gives for a tenant's edges: its crop subjects, the stream
    // lookup the publisher makes at start, and the inboxes its publish acknowledgements come back on.
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "nats-tenants-"));
    writeFileSync(
      join(dir, "nats.conf"),
      `listen: 127.0.0.1:${port}
jetstream { store_dir: "${join(dir, "js")}" }
authorization {
  users = [
    { user: services, password: "${PASSWORD}" }
    { user: "edge-acme", password: "${PASSWORD}-acme", permissions: {
        publish: { allow: ["faces.crop.acme.>", "$JS.API.INFO", "$JS.API.STREAM.INFO.FACES_CROP"] }
        subscribe: { allow: ["_INBOX.>"] } } }
  ]
}
`,
    );
    const nats = new ServerProcess("nats-server", "nats-server", ["-c", join(dir, "nats.conf")], port);
    await nats.start();
    running.push(nats);
    const url = `nats://127.0.0.1:${port}`;
    // The services' user makes the streams (an edge's may not) and reads what arrives.
    const embedder = await serviceProcess("embedder", { NATS_URL: url, NATS_USER: "services", NATS_PASSWORD: PASSWORD });
    await embedder.stop();
    const frame = readFileSync(shared("data", "facerec_examples", "knn_examples", "test", "obama1.jpg"));
    const edgeAs = async (tenant: string) =>
      edgeProcess({ NATS_URL: url, NATS_USER: "edge-acme", NATS_PASSWORD: `${PASSWORD}-acme`, TENANT: tenant, EDGE_FPS: "0.5" });
    const own = await edgeAs("acme");
    running.push(own);
    const claimed = await edgeAs("globex");
    running.push(claimed);
    for (const edge of [own, claimed]) {
      for (const camera of ["door"]) {
        const r = await fetch(`http://127.0.0.1:${edge.ops}/v1/frames?camera=${camera}`, {
          method: "POST",
          headers: { authorization: `Bearer ${edge.pushKey}` },
          body: frame,
        });
        expect(r.status).toBe(202);
      }
    }
    // Only acme's crop is on the bus; the edge claiming globex was refused by the server (it spools).
    const bus = await connectNats({ servers: url, user: "services", pass: PASSWORD });
    try {
      const jsm = await jetstreamManager(bus);
      await eventually(async () => {
        const info = await jsm.streams.info(streams.crops, { subjects_filter: "faces.crop.>" });
        expect(Object.keys(info.state.subjects ?? {})).toEqual(["faces.crop.acme.door"]);
      });
      await new Promise((r) => setTimeout(r, 3000));
      const info = await jsm.streams.info(streams.crops, { subjects_filter: "faces.crop.>" });
      expect(Object.keys(info.state.subjects ?? {})).toEqual(["faces.crop.acme.door"]);
    } finally {
      await bus.close();
    }
    // The refused edge keeps its crop in its spool: refused, not lost.
    const spooled = async (edge: { ops: number }) =>
      metricSum(await (await fetch(`http://127.0.0.1:${edge.ops}/metrics`)).text(), "facerec_edge_crops", {
        state: "spooled_now",
      });
    await eventually(async () => expect(await spooled(claimed)).toBeGreaterThan(0));
    expect(await spooled(own)).toBe(0);
    for (const p of [own, claimed, nats]) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the edge's push endpoint with EDGE_PUSH_KEY: 401 without the key, 202 with it; none made, an empty one refused", async () => {
    const nats = await natsServer();
    running.push(nats);
    const data = mkdtempSync(join(tmpdir(), "edge-configured-"));
    const edge = await edgeProcess({ NATS_URL: nats.url, EDGE_PUSH_KEY: PASSWORD, FACEREC_DATA: data });
    running.push(edge);
    const frame = await blackFrame();
    const push = (headers: Record<string, string>) => pushStatus(edge.ops, frame, headers);
    expect(await push({})).toBe(401);
    expect(await push({ authorization: "Bearer wrong" })).toBe(401);
    expect(await push({ authorization: `Bearer ${PASSWORD}` })).toBe(202);
    // The key given is the key: none is made, printed or kept.
    expect(edge.output).not.toContain("First start");
    expect(existsSync(join(data, "edge-push.key"))).toBe(false);
    // An empty key is a mistake (a Secret that came out empty), not a wish for no key.
    const refused = await serviceProcess("edge-detector", { NATS_URL: nats.url, EDGE_PUSH_KEY: "" }).then(
      async (p) => {
        await p.stop();
        return "it ran";
      },
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/exited .*before it was ready[\s\S]*EDGE_PUSH_KEY is empty/);
  });

  it("an edge without EDGE_PUSH_KEY makes a key at its first start, shows it once, requires it, keeps it, on loopback", async () => {
    const nats = await natsServer();
    running.push(nats);
    const data = mkdtempSync(join(tmpdir(), "edge-made-"));
    const edge = await edgeProcess({ NATS_URL: nats.url, FACEREC_DATA: data });
    running.push(edge);
    const key = edge.pushKey;
    // 32 random bytes in base64url, kept in a file of the data folder only its owner reads.
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key, "base64url")).toHaveLength(32);
    expect(statSync(join(data, "edge-push.key")).mode & 0o777).toBe(0o600);
    expect(statSync(data).mode & 0o777).toBe(0o700);
    const frame = await blackFrame();
    const push = (headers: Record<string, string>) => pushStatus(edge.ops, frame, headers);
    expect(await push({})).toBe(401);
    expect(await push({ authorization: "Bearer wrong" })).toBe(401);
    expect(await push({ authorization: `Bearer ${key}` })).toBe(202);

    // Bound to loopback, since OPS_HOST does not say otherwise: its ready line says so (logged after
    // the port opened, so waited for), and another address of this machine, where it has one, is refused.
    await eventually(async () => expect(readyLines(edge.output)).toHaveLength(1), 30_000, 100);
    expect(readyLines(edge.output)[0]?.ops.address).toBe("127.0.0.1");
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && !a.internal && a.family === "IPv4")?.address;
    if (outside) expect(await tcpOutcome(outside, edge.ops)).toBe("ECONNREFUSED");

    // Restarted on the same data folder: nothing printed, the same key required.
    await edge.stop();
    await edge.start();
    await eventually(async () => expect(readyLines(edge.output)).toHaveLength(2), 30_000, 100);
    expect([...edge.output.matchAll(KEY_PRINTED)].map((m) => m[1])).toEqual([key]);
    // Shown once: in that print and nowhere in the logs of either start.
    expect(edge.output.split(key)).toHaveLength(2);
    expect(readyLines(edge.output).map((l) => l.pushKey)).toEqual(["stored", "stored"]);
    expect(await push({})).toBe(401);
    expect(await push({ authorization: `Bearer ${key}` })).toBe(202);
  });
});
