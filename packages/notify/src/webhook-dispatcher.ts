import { randomUUID } from "node:crypto";
import type { MatchEvent } from "@facerec/contracts";
import { type ConnectionOptions, DelayedError, Queue, Worker } from "bullmq";
import { Gauge, type Registry } from "prom-client";
import { notificationOf } from "./mqtt.js";
import { type BreakerOptions, type CircuitState, WebhookBreakers } from "./webhook-breaker.js";
import { postTo, webhookSignature } from "./webhook-delivery.js";
import { DestinationError, DestinationPolicy } from "./webhook-destinations.js";
import { LocalDeliveryQueue, type LocalQueueOptions } from "./webhook-local-queue.js";
import { type DeliveryAttempt, type DeliveryJob, WEBHOOK_DEFAULTS, type Webhook, type WebhookStore } from "./webhook-model.js";

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
  /** Queue a delivery; false when the queue dropped it (full, or stopping), having counted and logged it. */
  add(job: DeliveryJob): Promise<boolean>;
  /** The tenant's deliveries this queue holds whose decision names `subjectId` (as the match or a candidate). */
  naming(tenant: string, subjectId: string): Promise<DeliveryJob[]>;
  /**
   * Give up every held delivery whose decision names the subject (erasure): those waiting are removed
   * now, one under way is not retried. The count of those removed, and of those under way.
   */
  forgetSubject(tenant: string, subjectId: string): Promise<{ removed: number; underWay: number }>;
  /** Stop taking deliveries; wait for the attempts under way. */
  close(): Promise<void>;
}

/** How an attempt went: the receiver's status, or why it failed (refused: by the destination policy). */
type Sent = { status?: number; error?: string; refused: boolean };

export interface DispatcherOptions {
  timeoutMs?: number;
  cacheMs?: number;
  /** Which destinations deliveries may reach. @default DestinationPolicy.fromEnv(): FACEREC_WEBHOOK_ALLOW */
  destinations?: DestinationPolicy;
  /** The circuit breaker per webhook, in this process. */
  breaker?: BreakerOptions;
  /** The process's own queue, made when no queue is given. */
  queue?: LocalQueueOptions;
  onError?: (error: unknown) => void;
}

/**
 * Decisions to the tenant's webhooks: each decision that passes a webhook's filters becomes one
 * delivery, POSTed as JSON with `facerec-delivery` (the same on every attempt, for the receiver to
 * drop repeats) and `facerec-signature`; a 2xx answer ends it, anything else (another status, a
 * timeout, a refused connection) is a failed attempt that the queue retries. Every attempt checks the
 * destination first (DestinationPolicy, at connect time: a webhook registered while its address was
 * allowed, or whose name now resolves elsewhere, is checked again) and connects to the addresses it
 * checked; an attempt the policy refuses is logged as refused and not retried. Every attempt is logged,
 * and so is every delivery a queue drops. A webhook failing breakerFailures times in a row is not
 * attempted for a cool-down (WebhookBreakers); the queues keep its deliveries meanwhile.
 */
export class WebhookDispatcher {
  delivered = 0;
  failed = 0;
  refused = 0;
  dropped = 0;
  private readonly cache = new Map<string, { at: number; hooks: Promise<Webhook[]> }>();
  /** Webhooks with a test delivery under way: one at a time each. */
  private readonly testing = new Set<string>();
  readonly queue: DeliveryQueue;
  /** The destination policy: deliveries go through it, and the webhook API checks a new URL with it. */
  readonly destinations: DestinationPolicy;
  /** Each webhook's circuit, as this process's attempts found its receiver. */
  readonly breakers: WebhookBreakers;

  constructor(
    readonly store: WebhookStore,
    queue?: DeliveryQueue,
    private readonly options: DispatcherOptions = {},
  ) {
    this.destinations = options.destinations ?? DestinationPolicy.fromEnv();
    this.breakers = new WebhookBreakers(options.breaker);
    this.queue = queue ?? new LocalDeliveryQueue(this, options.queue);
  }

  /** A webhook's circuit in this process. */
  circuit(webhookId: string): CircuitState {
    return this.breakers.state(webhookId);
  }

  /**
   * When a delivery that its webhook's circuit holds back may be tried again: the end of the
   * cool-down, or, while another attempt is the trial, the longest that trial can take.
   */
  heldUntil(webhookId: string): number {
    return this.breakers.openUntil(webhookId) ?? Date.now() + (this.options.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs);
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
      await this.queue.add({ webhookId: hook.id, tenant: hook.tenant, deliveryId, eventId: event.cropId, body });
    }
  }

  /**
   * A test delivery to one webhook, made now and not queued: a signed body of `type: "test"` (no
   * decision, nobody's data), logged with the webhook's attempts and counted by its circuit like any
   * attempt (it is made even while the circuit is open: an operator checking a mended receiver).
   * Resolves with what the attempt logged; a webhook already being tested answers `busy`.
   */
  async test(hook: Webhook): Promise<{ delivered: boolean; status?: number; error?: string } | "busy"> {
    if (this.testing.has(hook.id)) return "busy";
    this.testing.add(hook.id);
    const deliveryId = randomUUID();
    const job: DeliveryJob = {
      webhookId: hook.id,
      tenant: hook.tenant,
      deliveryId,
      eventId: `test:${deliveryId}`,
      body: JSON.stringify({ type: "test", deliveryId, webhookId: hook.id, sentAt: new Date().toISOString() }),
    };
    let logged: DeliveryAttempt | undefined;
    try {
      logged = (await this.attemptLogged(job, 1))?.logged;
    } finally {
      this.testing.delete(hook.id);
    }
    return {
      delivered: logged?.delivered ?? false,
      ...(logged?.status !== undefined ? { status: logged.status } : {}),
      ...(logged?.error ? { error: logged.error } : {}),
    };
  }

  /**
   * A delivery a queue gave up without attempting it (`attempt` is the number the attempt would have
   * had): counted, and logged as `dropped: <reason>`. Never rejects; a log that cannot be written goes
   * to onError.
   */
  async drop(job: DeliveryJob, attempt: number, reason: string): Promise<void> {
    this.dropped++;
    await this.store
      .recordAttempt({
        webhookId: job.webhookId,
        tenant: job.tenant,
        deliveryId: job.deliveryId,
        eventId: job.eventId,
        attempt,
        error: `dropped: ${reason}`,
        delivered: false,
        at: new Date().toISOString(),
      })
      .catch((error) => this.options.onError?.(error));
  }

  /**
   * One attempt at a delivery; throws when it failed (for the queue to retry). A webhook deleted since
   * the delivery was queued is not attempted; one the destination policy refuses is logged and not
   * retried (the same address against the same policy would be refused again). The outcome goes to the
   * webhook's circuit; the queue asked it whether to attempt (breakers.admit).
   */
  async attempt(job: DeliveryJob, attempt: number): Promise<void> {
    const made = await this.attemptLogged(job, attempt);
    if (made?.logged.error && !made.refused) throw new Error(made.logged.error);
  }

  /**
   * One attempt, counted, given to the circuit and logged: what was logged, and whether the
   * destination policy refused it; undefined where the webhook is gone. Rejects only when the log
   * cannot be written.
   */
  private async attemptLogged(
    job: DeliveryJob,
    attempt: number,
  ): Promise<{ logged: DeliveryAttempt; refused: boolean } | undefined> {
    let result: Sent | undefined;
    let opened: number | undefined;
    try {
      const hook = (await this.hooks(job.tenant)).find((h) => h.id === job.webhookId);
      if (!hook) return undefined;
      result = await this.post(hook, job);
    } finally {
      // What the receiver did, for its circuit: nothing is learnt from no attempt or a refusal.
      opened = this.breakers.record(job.webhookId, result && !result.refused ? !result.error : undefined);
    }
    const { status, refused } = result;
    // The attempt that opens the circuit says so in the log, which every replica shows; the circuit
    // itself is this process's.
    const error = opened ? `${result.error}; circuit open until ${new Date(opened).toISOString()}` : result.error;
    const logged: DeliveryAttempt = {
      webhookId: job.webhookId,
      tenant: job.tenant,
      deliveryId: job.deliveryId,
      eventId: job.eventId,
      attempt,
      ...(status !== undefined ? { status } : {}),
      ...(error ? { error } : {}),
      delivered: !error,
      at: new Date().toISOString(),
    };
    await this.store.recordAttempt(logged);
    if (refused) this.refused++;
    else if (error) this.failed++;
    else this.delivered++;
    return { logged, refused };
  }

  /** POST a delivery to its webhook, signed now: the status, or why it failed; never rejects. */
  private async post(hook: Webhook, job: DeliveryJob): Promise<Sent> {
    try {
      const destination = await this.destinations.check(hook.url);
      const headers = {
        "content-type": "application/json",
        "user-agent": "facerec-webhooks",
        "facerec-delivery": job.deliveryId,
        "facerec-signature": webhookSignature(hook.secret, Math.floor(Date.now() / 1000), job.body),
      };
      const status = await postTo(destination, headers, job.body, this.options.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs);
      return status >= 200 && status <= 299
        ? { status, refused: false }
        : { status, error: `the receiver answered ${status}`, refused: false };
    } catch (e) {
      const refused = e instanceof DestinationError && e.refused;
      return { error: refused ? `refused: ${(e as Error).message}` : DELIVERY_FAILED, refused };
    }
  }
}

export const WEBHOOK_QUEUE = "facerec-webhooks";

/** Whether a delivery's decision names the subject: its id, as a JSON string, anywhere in the body. */
export function namesSubject(job: DeliveryJob, tenant: string, subjectId: string): boolean {
  return job.tenant === tenant && job.body.includes(JSON.stringify(subjectId));
}

/**
 * Deliveries erased while under way, by id: the worker attempts none of them again and removes each
 * once its attempt ends (it would otherwise be retried, or kept with its body). @default kept 7 days,
 * past the last retry of any delivery
 */
const ERASED = `${WEBHOOK_QUEUE}:erased`;
const ERASED_TTL_S = 7 * 86_400;

/** The set commands the erased mark needs, on the ioredis client BullMQ holds (typed narrower there). */
interface SetCommands {
  sadd(key: string, ...members: string[]): Promise<number>;
  expire(key: string, seconds: number): Promise<number>;
  sismember(key: string, member: string): Promise<number>;
}
const sets = async (client: Promise<unknown>): Promise<SetCommands> => (await client) as SetCommands;

/** The states a BullMQ delivery keeps its body in, besides the one under way. */
const HELD_STATES = ["waiting", "delayed", "prioritized", "paused", "completed", "failed"] as const;

/**
 * Deliveries on BullMQ (distributed mode): any gateway or matcher queues them, the matchers' workers
 * attempt them, with BullMQ's exponential backoff between attempts; a delivery outlives the process
 * that queued it. A delivery whose webhook's circuit is open in the worker's process waits on the queue,
 * delayed to the end of the cool-down, without spending an attempt (startWebhookWorker).
 */
export class BullDeliveryQueue implements DeliveryQueue {
  private readonly queue: Queue<DeliveryJob>;

  constructor(
    connection: ConnectionOptions,
    private readonly options: { attempts?: number; firstRetryMs?: number } = {},
  ) {
    this.queue = new Queue<DeliveryJob>(WEBHOOK_QUEUE, { connection });
  }

  async add(job: DeliveryJob): Promise<boolean> {
    await this.queue.add("deliver", job, {
      jobId: job.deliveryId,
      attempts: this.options.attempts ?? WEBHOOK_DEFAULTS.attempts,
      backoff: { type: "exponential", delay: this.options.firstRetryMs ?? WEBHOOK_DEFAULTS.firstRetryMs },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    });
    return true;
  }

  async naming(tenant: string, subjectId: string): Promise<DeliveryJob[]> {
    const jobs = await this.queue.getJobs([...HELD_STATES, "active"]);
    return jobs.filter((j) => j && namesSubject(j.data, tenant, subjectId)).map((j) => j.data);
  }

  /**
   * Waiting, delayed and kept (completed, failed) deliveries are removed. One under way, or one that
   * became active before its removal, is marked erased: the worker removes it when its attempt ends and
   * never attempts it again.
   */
  async forgetSubject(tenant: string, subjectId: string): Promise<{ removed: number; underWay: number }> {
    let removed = 0;
    const busy: string[] = [];
    for (const job of await this.queue.getJobs([...HELD_STATES, "active"])) {
      if (!job?.id || !namesSubject(job.data, tenant, subjectId)) continue;
      const gone = await job.remove().then(
        () => true,
        () => false,
      );
      if (gone) removed++;
      else busy.push(job.id);
    }
    if (busy.length) {
      const client = await sets(this.queue.client);
      await client.sadd(ERASED, ...busy);
      await client.expire(ERASED, ERASED_TTL_S);
    }
    return { removed, underWay: busy.length };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/**
 * The worker that attempts the queued deliveries (run beside the job runner, in the matcher). A
 * delivery its webhook's circuit holds back is moved to the delayed set until the circuit may let it
 * through (heldUntil) instead of being attempted: it holds no worker and keeps its attempts, so a
 * tenant's dead receivers cost the workers one timeout each per cool-down, not one per queued attempt.
 */
export function startWebhookWorker(connection: ConnectionOptions, dispatcher: WebhookDispatcher): Worker<DeliveryJob> {
  const erased = async (id: string | undefined): Promise<boolean> =>
    id !== undefined && (await (await sets(worker.client)).sismember(ERASED, id)) === 1;
  // An erased delivery's attempt has ended: it leaves the queue, body and all.
  const dropIfErased = (job: { id?: string; remove(): Promise<void> } | undefined) => {
    if (job)
      erased(job.id)
        .then((yes) => (yes ? job.remove() : undefined))
        .catch(() => undefined);
  };
  const worker: Worker<DeliveryJob> = new Worker<DeliveryJob>(
    WEBHOOK_QUEUE,
    async (job, token) => {
      // Erased while it waited or between attempts: never attempted again.
      if (await erased(job.id)) return;
      if (!dispatcher.breakers.admit(job.data.webhookId)) {
        await job.moveToDelayed(dispatcher.heldUntil(job.data.webhookId), token);
        throw new DelayedError();
      }
      await dispatcher.attempt(job.data, job.attemptsMade + 1);
    },
    { connection, concurrency: 8 },
  );
  worker.on("completed", dropIfErased);
  worker.on("failed", dropIfErased);
  return worker;
}

/** facerec_webhook_attempts{result="delivered"|"failed"|"refused"} and the deliveries a queue dropped unattempted. */
export function webhookMetrics(registry: Registry, dispatcher: WebhookDispatcher): void {
  new Gauge({
    name: "facerec_webhook_attempts",
    help: "Webhook delivery attempts made by this process since start, by result (refused: by the destination policy); dropped: deliveries this process's queue gave up unattempted (full, or stopping), each in the delivery log.",
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
