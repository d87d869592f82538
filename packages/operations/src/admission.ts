import { OverloadedError } from "./errors.js";

/**
 * Admission control for image operations: at most `workers` run at once, at most `queue` wait, and one
 * tenant holds at most `tenantShare` of the running and waiting ones. A request past a bound is
 * refused at once (OverloadedError, 503 with Retry-After) rather than held: under a flood, memory and
 * latency stay those of a full queue instead of growing with the flood.
 */
export class Admission {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly held = new Map<string, number>();

  constructor(private readonly bounds: { workers: number; queue: number; tenantShare: number }) {}

  /** Run `work` for `tenant` when a worker is free; refuse when the queue or the tenant's share is full. */
  async run<T>(tenant: string, work: () => Promise<T>): Promise<T> {
    const mine = this.held.get(tenant) ?? 0;
    if (mine >= this.bounds.tenantShare) {
      throw new OverloadedError(`this tenant already has ${mine} image requests in progress; retry shortly`);
    }
    if (this.running >= this.bounds.workers && this.waiting.length >= this.bounds.queue) {
      throw new OverloadedError("the gateway is at capacity; retry shortly");
    }
    this.held.set(tenant, mine + 1);
    try {
      if (this.running < this.bounds.workers) this.running++;
      else await new Promise<void>((resolve) => this.waiting.push(resolve));
      try {
        return await work();
      } finally {
        // Hand the worker to the next in line, or give it back.
        const next = this.waiting.shift();
        if (next) next();
        else this.running--;
      }
    } finally {
      const left = (this.held.get(tenant) ?? 1) - 1;
      if (left > 0) this.held.set(tenant, left);
      else this.held.delete(tenant);
    }
  }

  /** Running and waiting operations, for metrics. */
  load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
