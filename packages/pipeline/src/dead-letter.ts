import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { headers } from "@nats-io/nats-core";

/**
 * Moves a message that cannot be processed to the dead-letter stream (`faces.dead.<stage>.<rest of
 * its subject>`) with the error and delivery count in headers, then terminates it so it is not
 * delivered again.
 */
export async function deadLetter(js: JetStreamClient, stage: string, m: JsMsg, error: unknown): Promise<void> {
  const h = headers();
  h.set("facerec-error", String((error as Error)?.message ?? error).slice(0, 1000));
  h.set("facerec-deliveries", String(m.info.deliveryCount));
  h.set("facerec-subject", m.subject);
  const rest = m.subject.split(".").slice(2).join(".");
  await js.publish(`faces.dead.${stage}.${rest}`, m.data, { headers: h, msgID: `${stage}:${m.info.stream}:${m.seq}` });
  m.term(String((error as Error)?.message ?? error).slice(0, 200));
}

/** After a failure: dead-letter on the last allowed delivery, else ask for redelivery after a pause. */
export async function retryOrDeadLetter(
  js: JetStreamClient,
  stage: string,
  m: JsMsg,
  error: unknown,
  maxDeliver: number,
  delayMs = 500,
): Promise<void> {
  if (m.info.deliveryCount >= maxDeliver) await deadLetter(js, stage, m, error);
  else m.nak(delayMs * m.info.deliveryCount);
}
