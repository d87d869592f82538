import { randomUUID } from "node:crypto";
import type { MatchEvent } from "@facerec/contracts";
import { type ConnectionOptions, Queue, Worker } from "bullmq";
import { Gauge, type Registry } from "prom-client";
import { notificationOf } from "./mqtt.js";
import { postTo, webhookSignature } from "./webhook-delivery.js";
import { DestinationError, DestinationPolicy } from "./webhook-destinations.js";
import { type DeliveryJob, WEBHOOK_DEFAULTS, type Webhook, type WebhookStore } from "./webhook-model.js";

/**
 * What the delivery log says of every attempt that got no HTTP answer: no connection, a refused or
 * reset one, TLS, a name that did not resolve, no answer in time. They read the same, so that the log
 * tells a tenant nothing about which ports are open where the gateway can reach (the log of a webhook
 * pointed at host:port would otherwise be a port scanner); the destination policy keeps internal
 * addresses out of reach to begin with.
 */
export const DELIVERY_FAILED = "delivery failed: no answer from the receiver";

/** Where deliveries wait for their attempts: this process (embedded mode) or BullMQ on Redis. */
export interface DeliveryQueue {
  /** Queue a delivery; false when it was dropped (the queue is full). */
  add(job: DeliveryJob): Promise<boolean>;
  /** Stop taking deliveries; wait for the attempts under way. */
  close(): Promise<void>;
}

export interface DispatcherOptions {
  timeoutMs?: number;
  cacheMs?: number;
  /** Which destinations deliveries may reach. @default DestinationPolicy.fromEnv(): FACEREC_WEBHOOK_ALLOW */
  destinations?: DestinationPolicy;
  onError?: (error: unknown) => void;
}

/**
 * Decisions to the tenant's webhooks: each decision that passes a webhook's filters becomes one
 * delivery, POSTed as JSON with `facerec-delivery` (the same on every attempt, for the receiver to
 * drop repeats) and `facerec-signature`; a 2xx answer ends it, anything else (another status, a
 * timeout, a refused connection) is a failed attempt that the queue retries. Every attempt checks the
 * destination first (DestinationPolicy, at connect time: a webhook registered while its address was
 * allowed, or whose name now resolves elsewhere, is checked again) and connects to the addresses it
 * checked; an attempt the policy refuses is logged as refused and not retried. Every attempt is logged.
 */
export class WebhookDispatcher {
  delivered = 0;
  failed = 0;
  refused = 0;
  dropped = 0;
  private readonly cache = new Map<string, { at: number; hooks: Promise<Webhook[]> }>();
  readonly queue: DeliveryQueue;
  /** The destination policy: deliveries go through it, and the webhook API checks a new URL with it. */
  readonly destinations: DestinationPolicy;

  constructor(
    readonly store: WebhookStore,
    queue?: DeliveryQueue,
    private readonly options: DispatcherOptions = {},
  ) {
    this.queue = queue ?? new LocalDeliveryQueue(this);
    this.destinations = options.destinations ?? DestinationPolicy.fromEnv();
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
   * the delivery was queued is not attempted; one the destination policy refuses is logged and not
   * retried (the same address against the same policy would be refused again).
   */
  async attempt(job: DeliveryJob, attempt: number): Promise<void> {
    const hook = (await this.hooks(job.tenant)).find((h) => h.id === job.webhookId);
    if (!hook) return;
    const timestamp = Math.floor(Date.now() / 1000);
    let status: number | undefined;
    let error: string | undefined;
    let refused = false;
    try {
      const destination = await this.destinations.check(hook.url);
      const headers = {
        "content-type": "application/json",
        "user-agent": "facerec-webhooks",
        "facerec-delivery": job.deliveryId,
        "facerec-signature": webhookSignature(hook.secret, timestamp, job.body),
      };
      status = await postTo(destination, headers, job.body, this.options.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs);
      if (status < 200 || status > 299) error = `the receiver answered ${status}`;
    } catch (e) {
      refused = e instanceof DestinationError && e.refused;
      error = refused ? `refused: ${(e as Error).message}` : DELIVERY_FAILED;
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
    if (refused) {
      this.refused++;
      return;
    }
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

/** facerec_webhook_attempts{result="delivered"|"failed"|"refused"} and the deliveries dropped by a full queue. */
export function webhookMetrics(registry: Registry, dispatcher: WebhookDispatcher): void {
  new Gauge({
    name: "facerec_webhook_attempts",
    help: "Webhook delivery attempts made by this process since start, by result (refused: by the destination policy); dropped: deliveries a full queue refused.",
    labelNames: ["result"],
    registers: [registry],
    collect() {
      this.set({ result: "delivered" }, dispatcher.delivered);
      this.set({ result: "failed" }, dispatcher.failed);
      this.set({ result: "refused" }, dispatcher.refused);
      this.set({ result: "dropped" }, dispatcher.dropped);
    },
  });
}
