import { type DeliveryQueue, namesSubject, type WebhookDispatcher } from "./webhook-dispatcher.js";
import { type DeliveryJob, WEBHOOK_DEFAULTS } from "./webhook-model.js";

export interface LocalQueueOptions {
  attempts?: number;
  firstRetryMs?: number;
  maxPending?: number;
  concurrency?: number;
  tenantConcurrency?: number;
}

/** A delivery this queue holds: waiting for its next attempt, waiting out a retry's delay, or under way. */
interface Held {
  job: DeliveryJob;
  /** The number of its next attempt (or of the one under way). */
  attempt: number;
  /** The delay before the retry after its next failure. */
  wait: number;
  timer?: NodeJS.Timeout;
  /** Its subject was erased while its attempt was under way: not retried. */
  erased?: boolean;
}

/** One tenant's part of the queue. */
interface Lane {
  /** Due for an attempt, oldest first. */
  ready: Held[];
  /** Waiting out the delay before a retry, in the order they failed. */
  retrying: Set<Held>;
  /** Attempts under way. */
  running: number;
}

const heldBy = (lane: Lane): number => lane.ready.length + lane.retrying.size + lane.running;

/** The delivery log's reason for a delivery given up at a stop. */
const STOPPED = "the process stopped before this attempt";

/**
 * Deliveries retried by this process (embedded mode), fairly between tenants: up to `attempts` each,
 * waits doubling from firstRetryMs, the attempts served round-robin across tenants, at most
 * `concurrency` under way and at most `tenantConcurrency` of one tenant. At most maxPending
 * deliveries are held; when full, a tenant holding fewer than the one holding most takes the place of
 * the delivery that tenant queued last among those not under way, which is dropped, so each of N busy
 * tenants keeps at least 1/N of the places and a tenant alone may use them all. A delivery whose webhook's circuit is open
 * (WebhookBreakers) stays in its tenant's part without spending attempts until the trial; every
 * delivery dropped, for a full queue or at a stop, is counted and logged. Nothing survives a restart;
 * the distributed mode's BullMQ queue does.
 */
export class LocalDeliveryQueue implements DeliveryQueue {
  /** Each tenant holding deliveries, the one served longest ago first (round-robin). */
  private readonly lanes = new Map<string, Lane>();
  private held = 0;
  private running = 0;
  private closed = false;
  /** Every delivery under way. */
  private readonly underWay = new Set<Held>();
  /** Attempts and delivery-log writes under way, for close() to wait for. */
  private readonly tasks = new Set<Promise<void>>();
  /** Serves again when the earliest open circuit holding back a delivery lets its trial through. */
  private wake: { at: number; timer: NodeJS.Timeout } | undefined;
  private readonly attempts: number;
  private readonly firstRetryMs: number;
  private readonly maxPending: number;
  private readonly concurrency: number;
  private readonly tenantConcurrency: number;

  constructor(
    private readonly dispatcher: WebhookDispatcher,
    options: LocalQueueOptions = {},
  ) {
    this.attempts = options.attempts ?? WEBHOOK_DEFAULTS.attempts;
    this.firstRetryMs = options.firstRetryMs ?? WEBHOOK_DEFAULTS.firstRetryMs;
    this.maxPending = options.maxPending ?? WEBHOOK_DEFAULTS.maxPending;
    this.concurrency = options.concurrency ?? WEBHOOK_DEFAULTS.concurrency;
    this.tenantConcurrency = options.tenantConcurrency ?? WEBHOOK_DEFAULTS.tenantConcurrency;
  }

  async add(job: DeliveryJob): Promise<boolean> {
    if (this.closed) {
      this.drop(job, 1, STOPPED);
      return false;
    }
    const lane = this.lanes.get(job.tenant) ?? { ready: [], retrying: new Set<Held>(), running: 0 };
    if (this.held >= this.maxPending && !this.pushOut(heldBy(lane))) {
      this.drop(job, 1, this.full(heldBy(lane)));
      return false;
    }
    if (!this.lanes.has(job.tenant)) this.lanes.set(job.tenant, lane);
    lane.ready.push({ job, attempt: 1, wait: this.firstRetryMs });
    this.held++;
    this.serve();
    return true;
  }

  async naming(tenant: string, subjectId: string): Promise<DeliveryJob[]> {
    const lane = this.lanes.get(tenant);
    const held = [...(lane?.ready ?? []), ...(lane?.retrying ?? []), ...this.underWay];
    return held.filter((h) => namesSubject(h.job, tenant, subjectId)).map((h) => h.job);
  }

  async forgetSubject(tenant: string, subjectId: string): Promise<{ removed: number; underWay: number }> {
    const naming = (h: Held) => namesSubject(h.job, tenant, subjectId);
    const lane = this.lanes.get(tenant);
    const gone = lane ? [...lane.ready, ...lane.retrying].filter(naming) : [];
    if (lane) {
      lane.ready = lane.ready.filter((h) => !naming(h));
      for (const h of gone) {
        clearTimeout(h.timer);
        lane.retrying.delete(h);
        this.release(tenant, lane);
      }
    }
    const busy = [...this.underWay].filter(naming);
    for (const h of busy) h.erased = true;
    return { removed: gone.length, underWay: busy.length };
  }

  /** Why a delivery found no place: its tenant's own backlog fills the queue, or holds its share of it. */
  private full(tenantHolds: number): string {
    return `the delivery queue was full (${tenantHolds} of its ${this.maxPending} places held by this tenant's deliveries)`;
  }

  /**
   * Make a place for a tenant holding `holds` deliveries in a full queue: the tenant holding the most,
   * when that is at least two more, gives up the delivery it queued last (a retry counts as queued
   * again) among those not under way, logged as dropped.
   * False when no tenant holds that much more, or its deliveries are all under way.
   */
  private pushOut(holds: number): boolean {
    let most: Lane | undefined;
    for (const lane of this.lanes.values()) if (!most || heldBy(lane) > heldBy(most)) most = lane;
    if (!most || heldBy(most) < holds + 2) return false;
    const evicted = most.ready.pop() ?? [...most.retrying].at(-1);
    if (!evicted) return false;
    clearTimeout(evicted.timer);
    most.retrying.delete(evicted);
    const reason = this.full(heldBy(most) + 1);
    this.release(evicted.job.tenant, most);
    this.drop(evicted.job, evicted.attempt, reason);
    return true;
  }

  /** Start the attempts that may start: round-robin over the tenants, within both concurrency bounds. */
  private serve(): void {
    let wakeAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    while (!this.closed && this.running < this.concurrency) {
      let next: { tenant: string; lane: Lane; index: number } | undefined;
      for (const [tenant, lane] of this.lanes) {
        if (lane.running >= this.tenantConcurrency) continue;
        const index = lane.ready.findIndex((h) => {
          if (this.dispatcher.breakers.admit(h.job.webhookId, now)) return true;
          wakeAt = Math.min(wakeAt, this.dispatcher.breakers.openUntil(h.job.webhookId, now) ?? wakeAt);
          return false;
        });
        if (index >= 0) {
          next = { tenant, lane, index };
          break;
        }
      }
      if (!next) break;
      const [held] = next.lane.ready.splice(next.index, 1);
      if (!held) break;
      // Served: to the back of the round.
      this.lanes.delete(next.tenant);
      this.lanes.set(next.tenant, next.lane);
      this.start(next.tenant, next.lane, held);
    }
    this.wakeAt(wakeAt);
  }

  /**
   * Serve again at `at`, when an open circuit lets its trial through (a delivery admitted in the
   * meantime, or a trial's outcome, serves again anyway).
   */
  private wakeAt(at: number): void {
    if (at === Number.POSITIVE_INFINITY || this.closed || (this.wake && this.wake.at <= at)) return;
    clearTimeout(this.wake?.timer);
    const timer = setTimeout(
      () => {
        this.wake = undefined;
        this.serve();
      },
      Math.max(0, at - Date.now()),
    );
    this.wake = { at, timer };
  }

  private start(tenant: string, lane: Lane, held: Held): void {
    this.running++;
    lane.running++;
    this.underWay.add(held);
    this.track(
      this.dispatcher.attempt(held.job, held.attempt).then(
        () => this.settle(tenant, lane, held, true),
        () => this.settle(tenant, lane, held, false),
      ),
    );
  }

  /** An attempt ended: the delivery is done, waits for its retry, or (stopping) is given up. */
  private settle(tenant: string, lane: Lane, held: Held, ended: boolean): void {
    this.running--;
    lane.running--;
    this.underWay.delete(held);
    if (ended || held.erased || held.attempt >= this.attempts) this.release(tenant, lane);
    else if (this.closed) {
      this.release(tenant, lane);
      this.drop(held.job, held.attempt + 1, STOPPED);
    } else {
      held.attempt++;
      lane.retrying.add(held);
      held.timer = setTimeout(() => {
        lane.retrying.delete(held);
        lane.ready.push(held);
        this.serve();
      }, held.wait);
      held.wait *= 2;
    }
    this.serve();
  }

  /** One delivery fewer held; a tenant holding none leaves the round. */
  private release(tenant: string, lane: Lane): void {
    this.held--;
    if (heldBy(lane) === 0 && this.lanes.get(tenant) === lane) this.lanes.delete(tenant);
  }

  private drop(job: DeliveryJob, attempt: number, reason: string): void {
    this.track(this.dispatcher.drop(job, attempt, reason));
  }

  private track(task: Promise<void>): void {
    this.tasks.add(task);
    task.finally(() => this.tasks.delete(task)).catch(() => {});
  }

  /**
   * Stop: no attempt starts; deliveries waiting, for their first attempt or for a retry, are given up
   * and logged as dropped; the attempts under way and the log's writes are waited for.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.wake?.timer);
    for (const [tenant, lane] of this.lanes) {
      for (const held of [...lane.ready, ...lane.retrying]) {
        clearTimeout(held.timer);
        this.release(tenant, lane);
        this.drop(held.job, held.attempt, STOPPED);
      }
      lane.ready = [];
      lane.retrying.clear();
    }
    while (this.tasks.size) await Promise.allSettled([...this.tasks]);
  }
}
