import type { ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { nanos } from "@nats-io/nats-core";

export interface Consuming {
  /**
   * Stop pulling, let the handler finish what it holds, then resolve. Messages the server had already
   * sent for the open pull but that had not arrived are redelivered after the ack wait, to any replica.
   */
  stop(): Promise<void>;
  /** Resolves when the loop ends (after stop, or if the consumer is deleted). */
  done: Promise<void>;
}

/**
 * How long one pull stays open. The client re-pulls when two of its idle heartbeats (half this) go
 * missing, which is how it notices that the server holding its pull is gone: at the client's 30 s
 * default a worker sat idle about 40 s after the server holding its pull was killed in the HA test.
 * @default 5000
 */
export const PULL_EXPIRES_MS = 5000;

/**
 * Pull messages from a durable consumer and hand them to `handle` one by one, pulling at most `buffer`
 * ahead. The consume iterator reconnects and re-issues pulls by itself across NATS outages.
 *
 * Every message handed out and not yet acknowledged, nak'd or terminated is kept in progress (a
 * `working` signal every third of the consumer's ack wait): a message waiting in a batch, or behind a
 * publish that waits out an election, is not redelivered to another replica meanwhile.
 */
export async function consumeLoop(
  js: JetStreamClient,
  stream: string,
  durable: string,
  buffer: number,
  handle: (m: JsMsg) => Promise<void>,
  onStopped: () => Promise<void> = async () => undefined,
): Promise<Consuming> {
  const consumer = await js.consumers.get(stream, durable);
  const ackWaitMs = Number((await consumer.info(true)).config.ack_wait ?? nanos(30_000)) / 1e6;
  const messages: ConsumerMessages = await consumer.consume({ max_messages: buffer, expires: PULL_EXPIRES_MS });
  const held = new Set<JsMsg>();
  const keepAlive = setInterval(
    () => {
      for (const m of held) m.working();
    },
    Math.max(250, ackWaitMs / 3),
  );
  keepAlive.unref();
  let stopping = false;
  const done = (async () => {
    try {
      for await (const m of messages) {
        if (stopping) {
          // Pulled after the stop began: hand it straight back for another replica.
          m.nak();
          continue;
        }
        await handle(tracked(m, held));
      }
      await onStopped();
    } finally {
      clearInterval(keepAlive);
    }
  })();
  return {
    done,
    async stop() {
      stopping = true;
      await messages.close();
      await done;
    },
  };
}

/** The JsMsg methods that settle a message: after one, it is no longer held. */
const SETTLE = new Set<PropertyKey>(["ack", "nak", "term", "ackAck"]);

/** `m`, listed in `held` until it is acknowledged, nak'd or terminated. */
function tracked(m: JsMsg, held: Set<JsMsg>): JsMsg {
  held.add(m);
  return new Proxy(m, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== "function") return value;
      if (!SETTLE.has(property)) return value.bind(target);
      return (...args: unknown[]) => {
        held.delete(target);
        return value.apply(target, args);
      };
    },
  });
}
