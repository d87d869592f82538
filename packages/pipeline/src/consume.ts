import type { ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";

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
 * Pull messages from a durable consumer and hand them to `handle` one by one, pulling at most `buffer`
 * ahead. The consume iterator reconnects and re-issues pulls by itself across NATS outages.
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
  const messages: ConsumerMessages = await consumer.consume({ max_messages: buffer });
  let stopping = false;
  const done = (async () => {
    for await (const m of messages) {
      if (stopping) {
        // Pulled after the stop began: hand it straight back for another replica.
        m.nak();
        continue;
      }
      await handle(m);
    }
    await onStopped();
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
