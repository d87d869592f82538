import { createHmac, randomUUID } from "node:crypto";
import type { MatchEvent } from "@facerec/contracts";
import { type Database, JsonRecordStore } from "@facerec/storage";
import { type ConnectionOptions, Queue, Worker } from "bullmq";
import { Gauge, type Registry } from "prom-client";
import { notificationOf } from "./mqtt.js";

/** A tenant's webhook: where decisions are POSTed, which ones, and the secret that signs them. */
export interface Webhook {
  id: string;
  tenant: string;
  url: string;
  /** Only these outcomes; empty: every one. */
  outcomes: string[];
  /** Only these cameras (and the gateway's own decisions under camera "api"); empty: every one. */
  cameras: string[];
  /** Only decisions naming these subjects; empty: every decision. */
  subjects: string[];
  /** Signs every body (HMAC-SHA256); shown to the caller once, at creation. */
  secret: string;
  createdAt: string;
  deletedAt?: string;
}

/** One attempt to deliver one decision to one webhook, as the delivery log shows it. */
export interface DeliveryAttempt {
  webhookId: string;
  tenant: string;
  /** The same for every attempt of one delivery (the `facerec-delivery` header). */
  deliveryId: string;
  /** The decision delivered: the crop or request id. */
  eventId: string;
  attempt: number;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** Why the attempt failed, when it did. */
  error?: string;
  delivered: boolean;
  at: string;
}

/** What a queue carries: everything an attempt needs but the secret, which is read at send time. */
export interface DeliveryJob {
  webhookId: string;
  tenant: string;
  deliveryId: string;
  eventId: string;
  body: string;
}

export const WEBHOOK_DEFAULTS = {
  /** Attempts per delivery, the first included: with doubling waits from 1 s, the last is ~31 s after the first. @default 6 */
  attempts: 6,
  /** Wait before the first retry; each later one doubles it. @default 1000 */
  firstRetryMs: 1000,
  /** A receiver that has not answered in this long is a failed attempt. @default 10000 */
  timeoutMs: 10_000,
  /** Deliveries waiting in one process's own queue (embedded mode) before new ones are dropped and counted. @default 1000 */
  maxPending: 1000,
  /** How long a process serves a tenant's webhook list from memory: another replica's change is seen within it. @default 2000 */
  cacheMs: 2000,
  /** Attempts the delivery log keeps per webhook, the newest: enough to see a failing receiver's story. @default 200 */
  logPerWebhook: 200,
} as const;

/**
 * The `facerec-signature` header for a body sent at `timestamp` (Unix seconds): `t=<timestamp>,v1=<hex
 * HMAC-SHA256 of "<timestamp>.<body>">`. The timestamp inside the signed text lets a receiver refuse a
 * replayed body by its age.
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return `t=${timestamp},v1=${mac}`;
}

/** The webhook storage port: local files (embedded mode) or PostgreSQL, shared by every replica. */
export interface WebhookStore {
  /** The tenant's webhooks, deleted ones left out, oldest first. */
  list(tenant: string): Promise<Webhook[]>;
  /** Durable when it resolves. */
  insert(hook: Webhook): Promise<void>;
  /** Mark deleted; false when the tenant has no such webhook. Durable when it resolves. */
  remove(tenant: string, id: string, at: string): Promise<boolean>;
  recordAttempt(attempt: DeliveryAttempt): Promise<void>;
  /** The newest `limit` attempts for one webhook, newest first. */
  attempts(tenant: string, webhookId: string, limit: number): Promise<DeliveryAttempt[]>;
  close(): Promise<void>;
}

type FileRecord = { type: "hook"; hook: Webhook } | { type: "deleted"; tenant: string; id: string; at: string };

/**
 * Webhooks in a local record log; the delivery log in memory, the newest attempts of each webhook
 * (a delivery in embedded mode is retried by this process and does not outlive it either).
 */
export class FileWebhookStore implements WebhookStore {
  private readonly hooks = new Map<string, Webhook>();
  private readonly log = new Map<string, DeliveryAttempt[]>();
  private readonly records: JsonRecordStore<FileRecord>;

  private constructor(dir: string) {
    this.records = JsonRecordStore.open(dir, "webhooks.log", (r: FileRecord) => this.apply(r));
  }

  static open(dir: string): FileWebhookStore {
    return new FileWebhookStore(dir);
  }

  private apply(r: FileRecord): void {
    if (r.type === "hook") this.hooks.set(r.hook.id, r.hook);
    else {
      const hook = this.hooks.get(r.id);
      if (hook?.tenant === r.tenant) hook.deletedAt = r.at;
    }
  }

  async list(tenant: string): Promise<Webhook[]> {
    return [...this.hooks.values()].filter((h) => h.tenant === tenant && !h.deletedAt);
  }

  async insert(hook: Webhook): Promise<void> {
    if (this.hooks.has(hook.id)) throw new RangeError(`a webhook with id ${hook.id} already exists`);
    this.records.append({ type: "hook", hook });
  }

  async remove(tenant: string, id: string, at: string): Promise<boolean> {
    const hook = this.hooks.get(id);
    if (!hook || hook.tenant !== tenant || hook.deletedAt) return false;
    this.records.append({ type: "deleted", tenant, id, at });
    this.log.delete(id);
    return true;
  }

  async recordAttempt(attempt: DeliveryAttempt): Promise<void> {
    const kept = this.log.get(attempt.webhookId) ?? [];
    kept.push(attempt);
    if (kept.length > WEBHOOK_DEFAULTS.logPerWebhook) kept.shift();
    this.log.set(attempt.webhookId, kept);
  }

  async attempts(tenant: string, webhookId: string, limit: number): Promise<DeliveryAttempt[]> {
    return (this.log.get(webhookId) ?? [])
      .filter((a) => a.tenant === tenant)
      .slice(-limit)
      .reverse();
  }

  async close(): Promise<void> {
    this.records.close();
  }
}

type HookRow = {
  id: string;
  tenant: string;
  url: string;
  outcomes: string[];
  cameras: string[];
  subjects: string[];
  secret: string;
  created_at: string;
  deleted_at: string | null;
};
type AttemptRow = {
  webhook_id: string;
  tenant: string;
  delivery_id: string;
  event_id: string;
  attempt: number;
  status: number | null;
  error: string | null;
  delivered: boolean;
  at: string;
};

/** Webhooks and every delivery attempt in PostgreSQL: any replica delivers, any gateway shows the log. */
export class PgWebhookStore implements WebhookStore {
  constructor(private readonly db: Database) {}

  async list(tenant: string): Promise<Webhook[]> {
    const { rows } = await this.db.query<HookRow>(
      "SELECT * FROM webhooks WHERE tenant = $1 AND deleted_at IS NULL ORDER BY created_at, id",
      [tenant],
    );
    return rows.map((r) => ({
      id: r.id,
      tenant: r.tenant,
      url: r.url,
      outcomes: r.outcomes,
      cameras: r.cameras,
      subjects: r.subjects,
      secret: r.secret,
      createdAt: r.created_at,
    }));
  }

  async insert(h: Webhook): Promise<void> {
    const { rowCount } = await this.db.query(
      `INSERT INTO webhooks (id, tenant, url, outcomes, cameras, subjects, secret, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
      [h.id, h.tenant, h.url, h.outcomes, h.cameras, h.subjects, h.secret, h.createdAt],
    );
    if (rowCount === 0) throw new RangeError(`a webhook with id ${h.id} already exists`);
  }

  async remove(tenant: string, id: string, at: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      "UPDATE webhooks SET deleted_at = $3 WHERE tenant = $1 AND id = $2 AND deleted_at IS NULL",
      [tenant, id, at],
    );
    // Its delivery log goes with it (the bodies named people; the log kept only ids and statuses).
    if (rowCount) await this.db.query("DELETE FROM webhook_deliveries WHERE tenant = $1 AND webhook_id = $2", [tenant, id]);
    return (rowCount ?? 0) > 0;
  }

  async recordAttempt(a: DeliveryAttempt): Promise<void> {
    await this.db.query(
      `INSERT INTO webhook_deliveries (webhook_id, tenant, delivery_id, event_id, attempt, status, error, delivered, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [a.webhookId, a.tenant, a.deliveryId, a.eventId, a.attempt, a.status ?? null, a.error ?? null, a.delivered, a.at],
    );
    // The log keeps the newest attempts of each webhook, as the local store does.
    await this.db.query(
      `DELETE FROM webhook_deliveries WHERE tenant = $1 AND webhook_id = $2 AND id <= (
         SELECT id FROM webhook_deliveries WHERE tenant = $1 AND webhook_id = $2 ORDER BY id DESC OFFSET $3 LIMIT 1)`,
      [a.tenant, a.webhookId, WEBHOOK_DEFAULTS.logPerWebhook],
    );
  }

  async attempts(tenant: string, webhookId: string, limit: number): Promise<DeliveryAttempt[]> {
    const { rows } = await this.db.query<AttemptRow>(
      "SELECT * FROM webhook_deliveries WHERE tenant = $1 AND webhook_id = $2 ORDER BY id DESC LIMIT $3",
      [tenant, webhookId, limit],
    );
    return rows.map((r) => ({
      webhookId: r.webhook_id,
      tenant: r.tenant,
      deliveryId: r.delivery_id,
      eventId: r.event_id,
      attempt: r.attempt,
      ...(r.status !== null ? { status: r.status } : {}),
      ...(r.error !== null ? { error: r.error } : {}),
      delivered: r.delivered,
      at: r.at,
    }));
  }

  async close(): Promise<void> {}
}

/** Where deliveries wait for their attempts: this process (embedded mode) or BullMQ on Redis. */
export interface DeliveryQueue {
  /** Queue a delivery; false when it was dropped (the queue is full). */
  add(job: DeliveryJob): Promise<boolean>;
  /** Stop taking deliveries; wait for the attempts under way. */
  close(): Promise<void>;
}

/**
 * Decisions to the tenant's webhooks: each decision that passes a webhook's filters becomes one
 * delivery, POSTed as JSON with `facerec-delivery` (the same on every attempt, for the receiver to
 * drop repeats) and `facerec-signature`; a 2xx answer ends it, anything else (another status, a
 * timeout, a refused connection) is a failed attempt that the queue retries. Every attempt is logged.
 */
export class WebhookDispatcher {
  delivered = 0;
  failed = 0;
  dropped = 0;
  private readonly cache = new Map<string, { at: number; hooks: Promise<Webhook[]> }>();
  readonly queue: DeliveryQueue;

  constructor(
    readonly store: WebhookStore,
    queue?: DeliveryQueue,
    private readonly options: { timeoutMs?: number; cacheMs?: number; onError?: (error: unknown) => void } = {},
  ) {
    this.queue = queue ?? new LocalDeliveryQueue(this);
  }

  /** The tenant's webhooks, from memory for up to cacheMs. */
  private hooks(tenant: string): Promise<Webhook[]> {
    const cached = this.cache.get(tenant);
    if (cached && Date.now() - cached.at < (this.options.cacheMs ?? WEBHOOK_DEFAULTS.cacheMs)) return cached.hooks;
    const hooks = this.store.list(tenant);
    this.cache.set(tenant, { at: Date.now(), hooks });
    hooks.catch(() => this.cache.delete(tenant));
    return hooks;
  }

  /** A webhook of this tenant was created or deleted here: the next decision reads the list again. */
  changed(tenant: string): void {
    this.cache.delete(tenant);
  }

  /** Queue a delivery of `event` to each of its tenant's webhooks whose filters it passes. */
  notify(event: MatchEvent): void {
    this.enqueue(event).catch((error) => this.options.onError?.(error));
  }

  private async enqueue(event: MatchEvent): Promise<void> {
    const wanted = (await this.hooks(event.tenant)).filter(
      (h) =>
        (!h.outcomes.length || h.outcomes.includes(event.outcome)) &&
        (!h.cameras.length || h.cameras.includes(event.camera)) &&
        (!h.subjects.length || h.subjects.includes(event.subjectId ?? "")),
    );
    for (const hook of wanted) {
      const deliveryId = randomUUID();
      const body = JSON.stringify({ type: "decision", deliveryId, webhookId: hook.id, decision: notificationOf(event) });
      const queued = await this.queue.add({ webhookId: hook.id, tenant: hook.tenant, deliveryId, eventId: event.cropId, body });
      if (!queued) this.dropped++;
    }
  }

  /**
   * One attempt at a delivery; throws when it failed (for the queue to retry). A webhook deleted since
   * the delivery was queued is not attempted.
   */
  async attempt(job: DeliveryJob, attempt: number): Promise<void> {
    const hook = (await this.hooks(job.tenant)).find((h) => h.id === job.webhookId);
    if (!hook) return;
    const timestamp = Math.floor(Date.now() / 1000);
    let status: number | undefined;
    let error: string | undefined;
    try {
      const response = await fetch(hook.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "facerec-webhooks",
          "facerec-delivery": job.deliveryId,
          "facerec-signature": webhookSignature(hook.secret, timestamp, job.body),
        },
        body: job.body,
        // A redirect is not followed: the receiver is the URL the tenant registered, nothing else.
        redirect: "manual",
        signal: AbortSignal.timeout(this.options.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs),
      });
      status = response.status;
      await response.body?.cancel();
      if (status < 200 || status > 299) error = `the receiver answered ${status}`;
    } catch (e) {
      error = `${(e as Error).name === "TimeoutError" ? "no answer in time" : (e as Error).message}`;
    }
    await this.store.recordAttempt({
      webhookId: job.webhookId,
      tenant: job.tenant,
      deliveryId: job.deliveryId,
      eventId: job.eventId,
      attempt,
      ...(status !== undefined ? { status } : {}),
      ...(error ? { error } : {}),
      delivered: !error,
      at: new Date().toISOString(),
    });
    if (error) {
      this.failed++;
      throw new Error(error);
    }
    this.delivered++;
  }
}

/**
 * Deliveries retried by this process (embedded mode): up to WEBHOOK_DEFAULTS.attempts, waits doubling
 * from firstRetryMs, at most maxPending under way (more are dropped and counted). They do not survive
 * a restart; the distributed mode's BullMQ queue does.
 */
export class LocalDeliveryQueue implements DeliveryQueue {
  private pending = 0;
  private closed = false;
  private readonly running = new Set<Promise<void>>();
  /** The wake-ups of the waits between attempts under way. */
  private readonly waking = new Set<() => void>();

  constructor(
    private readonly dispatcher: WebhookDispatcher,
    private readonly options: { attempts?: number; firstRetryMs?: number; maxPending?: number } = {},
  ) {}

  async add(job: DeliveryJob): Promise<boolean> {
    if (this.closed || this.pending >= (this.options.maxPending ?? WEBHOOK_DEFAULTS.maxPending)) return false;
    this.pending++;
    const run = this.run(job).finally(() => {
      this.pending--;
      this.running.delete(run);
    });
    this.running.add(run);
    return true;
  }

  private async run(job: DeliveryJob): Promise<void> {
    const attempts = this.options.attempts ?? WEBHOOK_DEFAULTS.attempts;
    let wait = this.options.firstRetryMs ?? WEBHOOK_DEFAULTS.firstRetryMs;
    for (let attempt = 1; attempt <= attempts && !this.closed; attempt++) {
      try {
        await this.dispatcher.attempt(job, attempt);
        return;
      } catch {
        if (attempt < attempts) await this.pause(wait);
        wait *= 2;
      }
    }
  }

  /** Wait between attempts; cut short when the queue closes, so a stopping process does not wait out retries. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waking.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waking.add(wake);
    });
  }

  /** Stop: retries not yet due are given up (they are in the delivery log as failed attempts). */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of [...this.waking]) wake();
    await Promise.allSettled([...this.running]);
  }
}

export const WEBHOOK_QUEUE = "facerec-webhooks";

/**
 * Deliveries on BullMQ (distributed mode): any gateway or matcher queues them, the matchers' workers
 * attempt them, with BullMQ's exponential backoff between attempts; a delivery outlives the process
 * that queued it.
 */
export class BullDeliveryQueue implements DeliveryQueue {
  private readonly queue: Queue<DeliveryJob>;

  constructor(connection: ConnectionOptions) {
    this.queue = new Queue<DeliveryJob>(WEBHOOK_QUEUE, { connection });
  }

  async add(job: DeliveryJob): Promise<boolean> {
    await this.queue.add("deliver", job, {
      jobId: job.deliveryId,
      attempts: WEBHOOK_DEFAULTS.attempts,
      backoff: { type: "exponential", delay: WEBHOOK_DEFAULTS.firstRetryMs },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    });
    return true;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** The worker that attempts the queued deliveries (run beside the job runner, in the matcher). */
export function startWebhookWorker(connection: ConnectionOptions, dispatcher: WebhookDispatcher): Worker<DeliveryJob> {
  return new Worker<DeliveryJob>(WEBHOOK_QUEUE, (job) => dispatcher.attempt(job.data, job.attemptsMade + 1), {
    connection,
    concurrency: 8,
  });
}

/** facerec_webhook_attempts{result="delivered"|"failed"} and the deliveries dropped by a full queue. */
export function webhookMetrics(registry: Registry, dispatcher: WebhookDispatcher): void {
  new Gauge({
    name: "facerec_webhook_attempts",
    help: "Webhook delivery attempts made by this process since start, by result; dropped: deliveries a full queue refused.",
    labelNames: ["result"],
    registers: [registry],
    collect() {
      this.set({ result: "delivered" }, dispatcher.delivered);
      this.set({ result: "failed" }, dispatcher.failed);
      this.set({ result: "dropped" }, dispatcher.dropped);
    },
  });
}
