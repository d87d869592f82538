import { createHmac } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditTrail } from "@facerec/audit";
import type { FaceRecognitionServiceClient } from "@facerec/contracts";
import { DestinationPolicy } from "@facerec/notify";
import { openGateway } from "@facerec/operations";
import { describeWithShared } from "@facerec/testkit";
import { type HttpReceiver, httpReceiver } from "@facerec/testkit/servers";
import { type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { grpcCaller, type Json, restCaller, serveOnLoopback } from "./clients.js";
import { knn } from "./scenarios.js";

/** The receiver's own check of a body against facerec-signature, with node's crypto and nothing of ours. */
function signedBy(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const [t, v1] = String(headers["facerec-signature"])
    .split(",")
    .map((part) => part.split("=")[1]);
  return createHmac("sha256", secret).update(`${t}.${body}`).digest("hex") === v1;
}

async function until<T>(check: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

let client: InstanceType<typeof FaceRecognitionServiceClient>;
let base: string;
let close: () => Promise<void>;
let audit: AuditTrail;
let receiver: HttpReceiver;
let data: string;
const keyOf = { admin: "", kiosk: "", other: "" };

const call = restCaller(() => base);
const rpc = grpcCaller(() => client);

describeWithShared("webhooks: decisions POSTed to a tenant's receiver, signed, retried, logged", () => {
  beforeAll(async () => {
    receiver = await httpReceiver();
    // The receiver is on loopback: allowed explicitly, as an operator allows an on-site receiver.
    process.env.FACEREC_WEBHOOK_ALLOW = "127.0.0.1/32";
    data = mkdtempSync(join(tmpdir(), "webhooks-"));
    const gateway = await openGateway(data);
    ({ audit } = gateway);
    keyOf.admin = (await gateway.keys.create("acme", "admin", ["admin"])).key;
    keyOf.kiosk = (await gateway.keys.create("acme", "kiosk", ["recognise", "enrol"])).key;
    keyOf.other = (await gateway.keys.create("globex", "other", ["admin"])).key;
    ({ base, client, close } = await serveOnLoopback(gateway));
  });
  afterAll(async () => {
    delete process.env.FACEREC_WEBHOOK_ALLOW;
    await close?.();
    await receiver?.stop();
  });

  it("delivers a filtered match, signed, retried once after a 500, and logs both attempts", async () => {
    const created = await call("POST", "/v1/webhooks", keyOf.admin, {
      url: receiver.url,
      outcomes: ["match"],
      cameras: ["door"],
    });
    expect(created.status).toBe(201);
    const { secret, webhook } = created.json;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(webhook).toMatchObject({ tenant: "acme", url: receiver.url, outcomes: ["match"], cameras: ["door"], subjects: [] });
    expect(JSON.stringify((await call("GET", "/v1/webhooks", keyOf.admin)).json)).not.toContain(secret);

    const obama = (await call("POST", "/v1/subjects", keyOf.kiosk, { name: "obama" })).json.id as string;
    const photo = (file: string) => readFileSync(file).toString("base64");
    await call("POST", `/v1/subjects/${obama}/enroll`, keyOf.kiosk, { images: [photo(knn("train", "obama", "obama.jpg"))] });

    // Filtered out: a stranger at the door (outcome) and obama in the lobby (camera). Sent first, so a
    // delivery of either would arrive before the door's match.
    await call("POST", "/v1/identify", keyOf.kiosk, { image: photo(knn("test", "alex_lacamoire1.jpg")), camera: "door" });
    await call("POST", "/v1/identify", keyOf.kiosk, { image: photo(knn("test", "obama1.jpg")), camera: "lobby" });
    receiver.answers.push(500);
    const identified = await call("POST", "/v1/identify", keyOf.kiosk, {
      image: photo(knn("test", "obama1.jpg")),
      camera: "door",
    });
    expect(identified.json.faces[0].outcome).toBe("match");

    const [first, second] = await until(() => (receiver.requests.length >= 2 ? receiver.requests : undefined));
    expect(receiver.requests).toHaveLength(2);
    // One delivery, two attempts: the same delivery id, each signed with the tenant's secret.
    expect(first?.headers["facerec-delivery"]).toBe(second?.headers["facerec-delivery"]);
    for (const r of [first, second]) expect(signedBy(secret, r?.headers ?? {}, r?.body ?? "")).toBe(true);
    expect(signedBy("whsec_not-the-secret", second?.headers ?? {}, second?.body ?? "")).toBe(false);
    const body = JSON.parse(second?.body ?? "{}");
    expect(body).toMatchObject({
      type: "decision",
      webhookId: webhook.id,
      decision: { tenant: "acme", camera: "door", outcome: "match", subjectId: obama, subjectName: "obama" },
    });
    expect(body.decision.cropId).toBe(`${identified.json.requestId}:0`);

    // The log, newest first: the retry delivered (200), the first attempt failed (500).
    let attempts: Json[] = [];
    for (const end = Date.now() + 10_000; attempts.length < 2 && Date.now() < end; ) {
      attempts = (await call("GET", `/v1/webhooks/${webhook.id}/deliveries`, keyOf.admin)).json.attempts;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(attempts.map((a) => [a.attempt, a.status, a.delivered])).toEqual([
      [2, 200, true],
      [1, 500, false],
    ]);
    expect(attempts[1].error).toMatch(/answered 500/);
    expect(new Set(attempts.map((a) => a.eventId))).toEqual(new Set([body.decision.cropId]));
    // Creating it was audited.
    const entries = (await audit.query({ tenant: "acme" })).entries;
    expect(entries.some((e) => e.operation === "create-webhook" && e.decision === `created ${webhook.id}`)).toBe(true);
  });

  it("sends a signed test body on request, says what the receiver did, and logs it", async () => {
    const { secret, webhook } = (await call("POST", "/v1/webhooks", keyOf.admin, { url: receiver.url })).json;
    const before = receiver.requests.length;
    const sent = await call("POST", `/v1/webhooks/${webhook.id}/test`, keyOf.admin);
    expect(sent).toMatchObject({ status: 200, json: { delivered: true, status: 200 } });
    const got = receiver.requests[before];
    expect(signedBy(secret, got?.headers ?? {}, got?.body ?? "")).toBe(true);
    expect(JSON.parse(got?.body ?? "{}")).toMatchObject({ type: "test", webhookId: webhook.id });
    // A receiver that fails: the answer says so, over gRPC as well.
    receiver.answers.push(503);
    const failed = await rpc("testWebhook", { id: webhook.id }, keyOf.admin);
    expect(failed).toMatchObject({ delivered: false, status: 503, error: "the receiver answered 503" });
    const attempts = (await call("GET", `/v1/webhooks/${webhook.id}/deliveries`, keyOf.admin)).json.attempts as Json[];
    expect(attempts.map((a) => [a.status, a.delivered, String(a.eventId).startsWith("test:")])).toEqual([
      [503, false, true],
      [200, true, true],
    ]);
    // Another tenant cannot test it.
    expect((await call("POST", `/v1/webhooks/${webhook.id}/test`, keyOf.other)).status).toBe(404);
    await call("DELETE", `/v1/webhooks/${webhook.id}`, keyOf.admin);
  });

  it("resolves a receiver's host outside the transaction: a slow lookup holds no other tenant's change", async () => {
    // A gateway of its own whose lookups wait until released: the DNS server of a receiver that is slow to answer.
    let release = () => {};
    const lookups: string[] = [];
    const destinations = new DestinationPolicy({
      resolve: (host) => {
        lookups.push(host);
        return new Promise((done) => {
          release = () => done([{ address: "93.184.216.34", family: 4 }]);
        });
      },
    });
    const slowData = mkdtempSync(join(tmpdir(), "webhooks-slow-"));
    const slow = await openGateway(slowData, { destinations });
    try {
      const acme = await slow.keys.authenticate((await slow.keys.create("acme", "admin", ["admin"])).key);
      const globex = await slow.keys.authenticate((await slow.keys.create("globex", "admin", ["admin"])).key);
      let created = false;
      const creating = slow.recognition.createWebhook(acme, { url: "https://slow.example/hook" }).then((r) => {
        created = true;
        return r;
      });
      await until(() => (lookups.length ? true : undefined));
      // Another tenant's change goes through while the lookup is still unanswered.
      const subject = await slow.recognition.createSubject(globex, "Ada", {});
      expect(subject.name).toBe("Ada");
      expect(created).toBe(false);
      release();
      expect((await creating).webhook.url).toBe("https://slow.example/hook");
      const entries = (await slow.audit.query({ tenant: "acme", operation: "create-webhook" })).entries;
      expect(entries).toHaveLength(1);
    } finally {
      release();
      await slow.close();
      rmSync(slowData, { recursive: true, force: true });
    }
  });

  it("refuses bad URLs and filters with a clear 400, over REST and gRPC alike", async () => {
    for (const body of [
      { url: "ftp://127.0.0.1/x" },
      { url: "not a url" },
      { url: receiver.url, outcomes: ["maybe"] },
      { url: receiver.url, cameras: ["a b"] },
    ]) {
      const r = await call("POST", "/v1/webhooks", keyOf.admin, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.message.length).toBeGreaterThan(5);
      const g = await rpc("createWebhook", { outcomes: [], cameras: [], subjects: [], ...body }, keyOf.admin).catch((e) => e);
      expect((g as ServiceError).code, JSON.stringify(body)).toBe(status.INVALID_ARGUMENT);
    }
    expect((await call("POST", "/v1/webhooks", keyOf.kiosk, { url: receiver.url })).status).toBe(403);
    expect(((await rpc("listWebhooks", {}, keyOf.kiosk).catch((e) => e)) as ServiceError).code).toBe(status.PERMISSION_DENIED);
  });

  it("refuses internal destinations the allow-list does not hold, naming the address class, over REST and gRPC", async () => {
    for (const [url, kind] of [
      ["http://[::1]:9100/metrics", "loopback"],
      ["http://127.0.0.2/", "loopback"],
      ["http://169.254.169.254/latest/meta-data/", "link-local"],
      ["http://[::ffff:169.254.169.254]/", "link-local"],
      ["http://0.0.0.0/", "unspecified"],
      ["http://10.0.0.1/", "private"],
      ["https://100.64.0.1/", "carrier-grade NAT"],
    ] as const) {
      const r = await call("POST", "/v1/webhooks", keyOf.admin, { url });
      expect(r.status, url).toBe(400);
      expect(r.json.message, url).toContain(`in the ${kind} range`);
      const g = await rpc("createWebhook", { url, outcomes: [], cameras: [], subjects: [] }, keyOf.admin).catch((e) => e);
      expect((g as ServiceError).code, url).toBe(status.INVALID_ARGUMENT);
    }
  });

  it("keeps the secret sealed in the data folder, and wipes it from there on delete", async () => {
    const folder = join(data, "webhooks");
    const atRest = () => readdirSync(folder).map((f) => readFileSync(join(folder, f), "latin1"));
    const sealed = () =>
      new Set(
        atRest()
          .join("\n")
          .match(/v1\.[0-9a-f]{16}\.[\w-]+\.[\w-]+\.[\w-]+/g),
      );
    const before = sealed();
    const { secret, webhook } = (await call("POST", "/v1/webhooks", keyOf.other, { url: receiver.url })).json;
    expect(atRest().some((text) => text.includes(webhook.id))).toBe(true);
    expect(atRest().some((text) => text.includes(secret) || text.includes(secret.slice("whsec_".length)))).toBe(false);
    const mine = [...sealed()].filter((s) => !before.has(s));
    expect(mine).toHaveLength(1);
    for (const f of readdirSync(folder)) expect(statSync(join(folder, f)).mode & 0o777, f).toBe(0o600);
    expect((await call("DELETE", `/v1/webhooks/${webhook.id}`, keyOf.other)).status).toBe(204);
    // Neither the sealed secret nor its ciphertext alone is left, nor the webhook's record.
    const ciphertext = (mine[0] as string).split(".")[3] as string;
    expect(atRest().some((text) => text.includes(ciphertext) || text.includes(webhook.id))).toBe(false);
  });

  it("keeps tenants apart: another tenant cannot see, read the log of, or delete a webhook", async () => {
    const mine = (await call("GET", "/v1/webhooks", keyOf.admin)).json.webhooks as { id: string }[];
    expect(mine.length).toBeGreaterThan(0);
    const id = mine[0]?.id as string;
    expect((await call("GET", "/v1/webhooks", keyOf.other)).json.webhooks).toEqual([]);
    expect((await call("GET", `/v1/webhooks/${id}/deliveries`, keyOf.other)).status).toBe(404);
    expect((await call("DELETE", `/v1/webhooks/${id}`, keyOf.other)).status).toBe(404);
    expect(((await rpc("deleteWebhook", { id }, keyOf.other).catch((e) => e)) as ServiceError).code).toBe(status.NOT_FOUND);
    expect(((await rpc("listWebhookDeliveries", { id, limit: 0 }, keyOf.other).catch((e) => e)) as ServiceError).code).toBe(
      status.NOT_FOUND,
    );
    expect((await call("GET", "/v1/webhooks", keyOf.admin)).json.webhooks.map((w: { id: string }) => w.id)).toContain(id);
  });

  it("manages webhooks over gRPC as over REST; a deleted webhook gets nothing more", async () => {
    const { secret, webhook } = await rpc<{ secret: string; webhook: { id: string; url: string; subjects: string[] } }>(
      "createWebhook",
      { url: receiver.url, outcomes: ["unknown"], cameras: [], subjects: [] },
      keyOf.admin,
    );
    expect(secret).toMatch(/^whsec_/);
    const listed = await rpc<{ webhooks: { id: string }[] }>("listWebhooks", {}, keyOf.admin);
    expect(listed.webhooks.map((w) => w.id)).toContain(webhook.id);
    // Same store as REST: the webhook shows there too, and deleting every one leaves nothing to deliver to.
    const all = (await call("GET", "/v1/webhooks", keyOf.admin)).json.webhooks as { id: string }[];
    expect(all.map((w) => w.id)).toContain(webhook.id);
    await rpc("deleteWebhook", { id: webhook.id }, keyOf.admin);
    for (const w of all.filter((w) => w.id !== webhook.id))
      expect((await call("DELETE", `/v1/webhooks/${w.id}`, keyOf.admin)).status).toBe(204);
    expect((await call("GET", "/v1/webhooks", keyOf.admin)).json.webhooks).toEqual([]);
    const before = receiver.requests.length;
    const stranger = readFileSync(knn("test", "alex_lacamoire1.jpg")).toString("base64");
    await call("POST", "/v1/identify", keyOf.kiosk, { image: stranger, camera: "door" });
    // A marker webhook in another tenant shows that deliveries still run: its delivery arrives, acme's does not.
    expect((await call("POST", "/v1/webhooks", keyOf.other, { url: receiver.url })).status).toBe(201);
    await call("POST", "/v1/identify", keyOf.other, { image: stranger, camera: "gate" });
    await until(() => (receiver.requests.length > before ? true : undefined));
    const after = receiver.requests.slice(before).map((r) => JSON.parse(r.body).decision.tenant);
    expect(after).toEqual(["globex"]);
  });
}, ["data"]);
