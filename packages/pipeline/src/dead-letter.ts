import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { headers } from "@nats-io/nats-core";

/**
 * Moves a message that cannot be processed to the dead-letter stream (`faces.dead.<stage>.<rest of
 * its subject>`) with the error, the failed attempts and the delivery count in headers, then
 * acknowledges it: the dead-letter copy is the one kept, and the work-queue stream lets the original
 * (a face crop, an embedding) go instead of holding it, never to be delivered again.
 */
export async function deadLetter(js: JetStreamClient, stage: string, m: JsMsg, error: unknown, failures = 1): Promise<void> {
  const h = headers();
  h.set("facerec-error", String((error as Error)?.message ?? error).slice(0, 1000));
  h.set("facerec-failures", String(failures));
  h.set("facerec-deliveries", String(m.info.deliveryCount));
  h.set("facerec-subject", m.subject);
  const rest = m.subject.split(".").slice(2).join(".");
  await js.publish(`faces.dead.${stage}.${rest}`, m.data, { headers: h, msgID: `${stage}:${m.info.stream}:${m.seq}` });
  m.ack();
}

/**
 * Deliveries after which a message is dead-lettered whatever its failures: a message that kills its
 * worker each time (no count in memory survives that) still ends. Four times the failures allowed,
 * so that redeliveries a worker never saw (a pull lost with its server, an ack wait that ran out while
 * a stream elected its leader) do not reach it.
 */
export function deliveryBackstop(maxFailures: number): number {
  return maxFailures * 4;
}

/** Failed messages remembered at once; past it the oldest is forgotten (it keeps the backstop). */
const REMEMBERED_FAILURES = 10_000;

/**
 * A worker's own count of failed attempts per message. The server's delivery count also counts
 * deliveries no worker processed (lost with a server, or redelivered after an ack wait while the
 * cluster was electing a leader), so deciding on it dead-lettered crops whose every attempt had not
 * failed: 75 of 150 in one HA run with a 2 s ack wait. Counted per replica: with several replicas a
 * failing message may be tried up to `maxFailures` times on each, and the backstop bounds the whole.
 */
export class Retries {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly js: JetStreamClient,
    private readonly stage: string,
    private readonly maxFailures: number,
    private readonly delayMs = 500,
  ) {}

  /** After a failure: dead-letter on the last allowed attempt, else ask for redelivery after a pause. */
  async failed(m: JsMsg, error: unknown): Promise<void> {
    const key = `${m.info.stream}:${m.seq}`;
    const count = (this.failures.get(key) ?? 0) + 1;
    this.failures.delete(key);
    if (count >= this.maxFailures || m.info.deliveryCount >= deliveryBackstop(this.maxFailures)) {
      await deadLetter(this.js, this.stage, m, error, count);
      return;
    }
    this.failures.set(key, count);
    if (this.failures.size > REMEMBERED_FAILURES) this.failures.delete(this.failures.keys().next().value as string);
    m.nak(this.delayMs * count);
  }

  /** The message was processed: forget its failures. */
  succeeded(m: JsMsg): void {
    if (this.failures.size > 0) this.failures.delete(`${m.info.stream}:${m.seq}`);
  }
}
