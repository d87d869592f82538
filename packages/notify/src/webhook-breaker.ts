import { WEBHOOK_DEFAULTS } from "./webhook-model.js";

export interface BreakerOptions {
  /** Consecutive failed attempts that open a webhook's circuit. @default WEBHOOK_DEFAULTS.breakerFailures */
  failures?: number;
  /** How long the circuit first stays open. @default WEBHOOK_DEFAULTS.breakerCoolDownMs */
  coolDownMs?: number;
  /** The longest cool-down, which each failed trial doubles up to. @default WEBHOOK_DEFAULTS.breakerMaxCoolDownMs */
  maxCoolDownMs?: number;
}

/**
 * A webhook's circuit, as the dispatcher's `circuit()` shows it. `closed`: attempts are made;
 * `open`: none until `until`; `half-open`: the cool-down is over and one attempt (the trial) may be
 * made, whose success closes the circuit and whose failure opens it again for twice as long.
 */
export interface CircuitState {
  state: "closed" | "open" | "half-open";
  /** Failed attempts in a row. */
  failures: number;
  /** When an open circuit lets a trial through. */
  until?: string;
}

interface Circuit {
  failures: number;
  /** The cool-down of the last opening; 0 while the circuit never opened since its last success. */
  coolDownMs: number;
  /** The end of the cool-down; 0 while the circuit is closed. */
  until: number;
  /** A trial attempt is under way (half-open). */
  trial: boolean;
  /** The last failure, for forgetting circuits nothing has tried in a long time. */
  last: number;
}

/**
 * A circuit breaker per webhook, in this process: after `failures` failed attempts in a row its
 * deliveries are not attempted for a cool-down (60 s, doubled by each failed trial up to 15 min);
 * then one attempt is let through, and a success closes the circuit. A receiver that does not answer
 * thus costs a worker a timeout per cool-down instead of one per queued attempt, and its deliveries
 * wait (the queues keep them) rather than spending their attempts on it. Attempts refused by the
 * destination policy, and those of a deleted webhook, say nothing about the receiver and count for
 * neither side.
 */
export class WebhookBreakers {
  private readonly circuits = new Map<string, Circuit>();
  private readonly failures: number;
  private readonly coolDownMs: number;
  private readonly maxCoolDownMs: number;
  private swept = Date.now();

  constructor(options: BreakerOptions = {}) {
    this.failures = options.failures ?? WEBHOOK_DEFAULTS.breakerFailures;
    this.coolDownMs = options.coolDownMs ?? WEBHOOK_DEFAULTS.breakerCoolDownMs;
    this.maxCoolDownMs = Math.max(this.coolDownMs, options.maxCoolDownMs ?? WEBHOOK_DEFAULTS.breakerMaxCoolDownMs);
  }

  /**
   * Whether an attempt at this webhook may start now. While the circuit is half-open the first caller
   * gets the trial and later ones are refused until its outcome is recorded.
   */
  admit(id: string, now = Date.now()): boolean {
    this.sweep(now);
    const c = this.circuits.get(id);
    if (!c || c.until === 0) return true;
    if (now < c.until || c.trial) return false;
    c.trial = true;
    return true;
  }

  /** The end of an open circuit's cool-down; undefined when it is closed or half-open. */
  openUntil(id: string, now = Date.now()): number | undefined {
    const until = this.circuits.get(id)?.until ?? 0;
    return now < until ? until : undefined;
  }

  /**
   * An attempt's outcome: true (delivered) closes the circuit; false (failed) counts, and opens it at
   * the threshold or when it was the trial; undefined (refused, or the webhook is gone) only ends a
   * trial. A failure that arrives while the circuit is open is counted only: its attempt started before
   * the circuit opened (it ends within the attempt timeout, 10 s, well inside the 60 s cool-down, so a
   * failure that arrives during a trial is the trial's). Returns the end of the cool-down when this
   * failure opened the circuit.
   */
  record(id: string, delivered: boolean | undefined, now = Date.now()): number | undefined {
    if (delivered) {
      this.circuits.delete(id);
      return undefined;
    }
    let c = this.circuits.get(id);
    if (delivered === undefined) {
      if (c) c.trial = false;
      return undefined;
    }
    if (!c) {
      c = { failures: 0, coolDownMs: 0, until: 0, trial: false, last: now };
      this.circuits.set(id, c);
    }
    c.failures++;
    c.last = now;
    if (c.trial || (c.until === 0 && c.failures >= this.failures)) {
      c.coolDownMs = c.coolDownMs ? Math.min(c.coolDownMs * 2, this.maxCoolDownMs) : this.coolDownMs;
      c.until = now + c.coolDownMs;
      c.trial = false;
      return c.until;
    }
    return undefined;
  }

  /** The circuit of one webhook as this process knows it (WebhookDispatcher.circuit). */
  state(id: string, now = Date.now()): CircuitState {
    const c = this.circuits.get(id);
    if (!c) return { state: "closed", failures: 0 };
    if (c.until === 0) return { state: "closed", failures: c.failures };
    const state = now < c.until ? "open" : "half-open";
    return { state, failures: c.failures, until: new Date(c.until).toISOString() };
  }

  /**
   * Forget circuits nothing has failed on for the longest cool-down and none is open any more (a
   * deleted webhook's, or one no decision was sent to since): the map holds only webhooks failing
   * lately, whatever number were created and deleted. Forgetting a half-open circuit lets the next
   * attempts through as if closed, the same as its trial would, and counts failures from zero.
   */
  private sweep(now: number): void {
    if (now - this.swept < this.maxCoolDownMs) return;
    this.swept = now;
    for (const [id, c] of this.circuits)
      if (!c.trial && now >= c.until && now - c.last >= this.maxCoolDownMs) this.circuits.delete(id);
  }
}
