import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MatchEvent } from "@facerec/contracts";
import { Database } from "@facerec/storage";
import {
  createDatabase,
  type HttpReceiver,
  httpReceiver,
  postgresServer,
  redisServer,
  type ServerProcess,
} from "@facerec/testkit/servers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BullDeliveryQueue,
  DestinationPolicy,
  FileWebhookStore,
  LocalDeliveryQueue,
  PgWebhookStore,
  startWebhookWorker,
  WebhookDispatcher,
  WebhookSecrets,
  type WebhookStore,
} from "../src/index.js";
import { hook as webhookOf } from "./fixtures.js";

/** The receivers here listen on loopback, which webhooks reach only where the operator allows it. */
const loopbackAllowed = () => ({ destinations: new DestinationPolicy({ allow: "127.0.0.1/32" }) });

const running: ServerProcess[] = [];
let pg: ServerProcess & { url: string };
let redis: ServerProcess & { url: string };
const databases: Database[] = [];

beforeAll(async () => {
  pg = await postgresServer();
  redis = await redisServer();
  running.push(pg, redis);
});
afterAll(async () => {
  for (const db of databases) await db.close();
  for (const p of running.reverse()) await p.stop();
});

/** A fresh PostgreSQL database (closed after the tests) and the Redis connection BullMQ takes. */
async function distributed() {
  const db = await Database.connect(createDatabase(pg.url));
  databases.push(db);
  return { db, connection: { host: "127.0.0.1", port: Number(new URL(redis.url).port), maxRetriesPerRequest: null } };
}

const decision = (tenant: string, outcome: string, subjectId = ""): MatchEvent =>
  MatchEvent.fromPartial({ cropId: randomUUID(), tenant, camera: "door", outcome, subjectId, score: 0.7, threshold: 0.4 });

const adapters: [string, () => Promise<WebhookStore>][] = [
  ["local files", async () => FileWebhookStore.open(mkdtempSync(join(tmpdir(), "webhooks-")))],
  ["PostgreSQL", async () => new PgWebhookStore((await distributed()).db, { secrets: new WebhookSecrets(randomBytes(32)) })],
];

for (const [name, open] of adapters) {
  describe(`webhook store on ${name}`, () => {
    it("keeps each tenant's webhooks apart, deletes within the tenant only, and logs attempts newest first", async () => {
      const store = await open();
      const a = webhookOf("acme", "http://127.0.0.1:1/a", { outcomes: ["match"] });
      const b = webhookOf("globex", "http://127.0.0.1:1/b");
      await store.insert(a);
      await store.insert(b);
      await expect(store.insert(a)).rejects.toThrow(/already exists/);
      expect(await store.list("acme")).toEqual([a]);
      expect(await store.remove("globex", a.id, new Date().toISOString())).toBe(false);
      expect(await store.list("acme")).toEqual([a]);
      for (const attempt of [1, 2])
        await store.recordAttempt({
          webhookId: a.id,
          tenant: "acme",
          deliveryId: "d1",
          eventId: "e1",
          attempt,
          ...(attempt === 1 ? { status: 500, error: "the receiver answered 500" } : { status: 200 }),
          delivered: attempt === 2,
          at: new Date().toISOString(),
        });
      expect((await store.attempts("acme", a.id, 10)).map((x) => [x.attempt, x.status, x.delivered])).toEqual([
        [2, 200, true],
        [1, 500, false],
      ]);
      expect(await store.attempts("globex", a.id, 10)).toEqual([]);
      expect(await store.remove("acme", a.id, new Date().toISOString())).toBe(true);
      expect(await store.list("acme")).toEqual([]);
      expect(await store.list("globex")).toEqual([b]);
      await store.close();
    });

    it("keeps each webhook's newest 200 attempts, and drops the log with the webhook", async () => {
      const store = await open();
      const h = webhookOf("acme", "http://127.0.0.1:1/h");
      await store.insert(h);
      for (let attempt = 1; attempt <= 205; attempt++) {
        await store.recordAttempt({
          webhookId: h.id,
          tenant: "acme",
          deliveryId: `d${attempt}`,
          eventId: "e",
          attempt,
          status: 500,
          delivered: false,
          at: new Date().toISOString(),
        });
      }
      const kept = await store.attempts("acme", h.id, 1000);
      expect(kept).toHaveLength(200);
      expect([kept[0]?.deliveryId, kept.at(-1)?.deliveryId]).toEqual(["d205", "d6"]);
      expect(await store.remove("acme", h.id, new Date().toISOString())).toBe(true);
      expect(await store.attempts("acme", h.id, 1000)).toEqual([]);
      await store.close();
    });
  });
}

describe("webhook deliveries on BullMQ (a real redis-server), the log in PostgreSQL", () => {
  let receiver: HttpReceiver;
  beforeAll(async () => {
    receiver = await httpReceiver();
    // Both replicas seal and open the secrets with the key every gateway and matcher is given.
    process.env.FACEREC_WEBHOOK_KEY = randomBytes(32).toString("base64");
  });
  afterAll(async () => {
    delete process.env.FACEREC_WEBHOOK_KEY;
    await receiver?.stop();
  });

  it("a delivery queued by one replica is attempted by another's worker, retried after a 500, signed", async () => {
    const { db, connection } = await distributed();
    // The gateway's side queues; the matcher's side runs the worker. They share PostgreSQL and Redis only.
    const queuing = new WebhookDispatcher(new PgWebhookStore(db), new BullDeliveryQueue(connection), loopbackAllowed());
    const delivering = new WebhookDispatcher(new PgWebhookStore(db), new BullDeliveryQueue(connection), loopbackAllowed());
    const worker = startWebhookWorker(connection, delivering);
    try {
      const watched = webhookOf("acme", receiver.url, { subjects: ["s-1"] });
      await queuing.store.insert(watched);
      const { requests, answers } = receiver;
      answers.push(500);
      const other = decision("acme", "match", "s-2");
      const wanted = decision("acme", "match", "s-1");
      queuing.notify(other);
      queuing.notify(wanted);
      const end = Date.now() + 30_000;
      while (requests.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(requests).toHaveLength(2);
      for (const r of requests) {
        const [t, v1] = String(r.headers["facerec-signature"])
          .split(",")
          .map((part) => part.split("=")[1]);
        expect(createHmac("sha256", watched.secret).update(`${t}.${r.body}`).digest("hex")).toBe(v1);
        // Only the watched subject's decision: s-2 was filtered out.
        expect(JSON.parse(r.body).decision).toMatchObject({ subjectId: "s-1", cropId: wanted.cropId });
      }
      expect(requests[0]?.headers["facerec-delivery"]).toBe(requests[1]?.headers["facerec-delivery"]);
      let attempts = await queuing.store.attempts("acme", watched.id, 10);
      while (attempts.length < 2 && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 50));
        attempts = await queuing.store.attempts("acme", watched.id, 10);
      }
      expect(attempts.map((a) => [a.attempt, a.status, a.delivered, a.eventId])).toEqual([
        [2, 200, true, wanted.cropId],
        [1, 500, false, wanted.cropId],
      ]);
      expect(delivering.delivered).toBe(1);
      expect(delivering.failed).toBe(1);
    } finally {
      await worker.close();
      await queuing.queue.close();
      await delivering.queue.close();
    }
  });

  it("a webhook whose circuit opened waits on the queue for the cool-down without spending attempts, then is delivered", async () => {
    const { db, connection } = await distributed();
    // Retries 20 ms apart, doubling, so that five failures come within a second; up to 8 attempts.
    const queuing = new WebhookDispatcher(
      new PgWebhookStore(db),
      new BullDeliveryQueue(connection, { attempts: 8, firstRetryMs: 20 }),
      loopbackAllowed(),
    );
    const delivering = new WebhookDispatcher(new PgWebhookStore(db), new BullDeliveryQueue(connection), {
      ...loopbackAllowed(),
      breaker: { failures: 5, coolDownMs: 1000 },
    });
    const worker = startWebhookWorker(connection, delivering);
    try {
      const watched = webhookOf("acme", receiver.url);
      await queuing.store.insert(watched);
      receiver.answers.push(500, 500, 500, 500, 500);
      queuing.notify(decision("acme", "match"));
      const end = Date.now() + 30_000;
      let attempts = await queuing.store.attempts("acme", watched.id, 10);
      while (!attempts[0]?.delivered && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 50));
        attempts = await queuing.store.attempts("acme", watched.id, 10);
      }
      // Five failures opened the circuit; the sixth attempt, due 320 ms later, waited delayed on the
      // queue for the cool-down instead, and kept its number: no attempt was spent while open.
      expect(attempts.map((a) => [a.attempt, a.status, a.delivered])).toEqual([
        [6, 200, true],
        ...[5, 4, 3, 2, 1].map((n) => [n, 500, false]),
      ]);
      expect(attempts[1]?.error).toMatch(/^the receiver answered 500; circuit open until \d{4}-/);
      const [sixth, fifth] = attempts.map((a) => Date.parse(a.at));
      console.info(
        `BullMQ: the attempt after the circuit opened came ${(sixth ?? 0) - (fifth ?? 0)} ms after the fifth failure (cool-down 1000)`,
      );
      expect((sixth ?? 0) - (fifth ?? 0)).toBeGreaterThanOrEqual(950);
      expect(delivering.circuit(watched.id)).toEqual({ state: "closed", failures: 0 });
    } finally {
      await worker.close();
      await queuing.queue.close();
      await delivering.queue.close();
    }
  });
});

describe("erasure reaches the deliveries BullMQ holds", () => {
  it("removes the tenant's waiting deliveries that name the subject, and only those", async () => {
    const { db, connection } = await distributed();
    process.env.FACEREC_WEBHOOK_KEY = randomBytes(32).toString("base64");
    // No worker runs: every delivery waits on the queue, as behind a receiver that is down.
    const dispatcher = new WebhookDispatcher(new PgWebhookStore(db), new BullDeliveryQueue(connection), loopbackAllowed());
    try {
      for (const tenant of ["acme", "globex"]) await dispatcher.store.insert(webhookOf(tenant, "http://127.0.0.1:9/hook"));
      for (const [tenant, subject] of [
        ["acme", "s-9"],
        ["acme", "s-9"],
        ["acme", "s-8"],
        ["globex", "s-9"],
      ] as const)
        dispatcher.notify(decision(tenant, "match", subject));
      const held = async () =>
        Promise.all(
          [
            ["acme", "s-9"],
            ["acme", "s-8"],
            ["globex", "s-9"],
          ].map(async ([tenant, subject]) => (await dispatcher.queue.naming(tenant as string, subject as string)).length),
        );
      const end = Date.now() + 10_000;
      while ((await held()).join() !== "2,1,1" && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(await held()).toEqual([2, 1, 1]);
      expect(await dispatcher.queue.forgetSubject("acme", "s-9")).toEqual({ removed: 2, underWay: 0 });
      expect(await held()).toEqual([0, 1, 1]);
    } finally {
      await dispatcher.queue.close();
      delete process.env.FACEREC_WEBHOOK_KEY;
    }
  });
});

describe("erasure reaches a delivery BullMQ is attempting", () => {
  it("marks it erased: when its attempt fails it is removed, never retried", async () => {
    process.env.FACEREC_WEBHOOK_KEY = randomBytes(32).toString("base64");
    // A receiver that holds each request 600 ms, then answers 500: the attempt is under way meanwhile.
    const arrived: number[] = [];
    const server = createServer((_req, res) => {
      arrived.push(Date.now());
      setTimeout(() => {
        res.statusCode = 500;
        res.end();
      }, 600);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const { db, connection } = await distributed();
    // Retries 50 ms apart: one that was not prevented would come well within the wait below.
    const dispatcher = new WebhookDispatcher(
      new PgWebhookStore(db),
      new BullDeliveryQueue(connection, { attempts: 5, firstRetryMs: 50 }),
      loopbackAllowed(),
    );
    const worker = startWebhookWorker(connection, dispatcher);
    try {
      await dispatcher.store.insert(webhookOf("initech", url));
      dispatcher.notify(decision("initech", "match", "s-7"));
      for (const end = Date.now() + 10_000; arrived.length === 0 && Date.now() < end; )
        await new Promise((r) => setTimeout(r, 20));
      expect(arrived).toHaveLength(1);
      expect(await dispatcher.queue.forgetSubject("initech", "s-7")).toEqual({ removed: 0, underWay: 1 });
      await new Promise((r) => setTimeout(r, 1500));
      expect(arrived).toHaveLength(1);
      expect(await dispatcher.queue.naming("initech", "s-7")).toEqual([]);
    } finally {
      await worker.close();
      await dispatcher.queue.close();
      await new Promise((resolve) => server.close(resolve));
      delete process.env.FACEREC_WEBHOOK_KEY;
    }
  });
});

describe("webhook deliveries retried in this process (embedded mode)", () => {
  it("gives up retries not yet due when the process stops, with every attempt made and every one given up in the log", async () => {
    const receiver = await httpReceiver();
    try {
      const store = FileWebhookStore.open(mkdtempSync(join(tmpdir(), "webhooks-local-")));
      const h = webhookOf("acme", receiver.url);
      await store.insert(h);
      const dispatcher = new WebhookDispatcher(store, undefined, loopbackAllowed());
      // A retry ten minutes away: stopping must not wait for it (the test's own timeout is shorter).
      const queue = new LocalDeliveryQueue(dispatcher, { firstRetryMs: 600_000 });
      receiver.answers.push(500);
      await queue.add({ webhookId: h.id, tenant: "acme", deliveryId: "d1", eventId: "e1", body: "{}" });
      while ((await store.attempts("acme", h.id, 10)).length < 1) await new Promise((r) => setTimeout(r, 20));
      await queue.close();
      // The retry given up is in the log as dropped, and so is a delivery offered after the stop.
      const stopped = "dropped: the process stopped before this attempt";
      expect((await store.attempts("acme", h.id, 10)).map((a) => [a.attempt, a.status, a.error])).toEqual([
        [2, undefined, stopped],
        [1, 500, "the receiver answered 500"],
      ]);
      expect(receiver.requests).toHaveLength(1);
      expect(await queue.add({ webhookId: h.id, tenant: "acme", deliveryId: "d2", eventId: "e2", body: "{}" })).toBe(false);
      expect((await store.attempts("acme", h.id, 1)).map((a) => [a.deliveryId, a.attempt, a.error])).toEqual([
        ["d2", 1, stopped],
      ]);
      expect(dispatcher.dropped).toBe(2);
      await store.close();
    } finally {
      await receiver.stop();
    }
  }, 60_000);
});
