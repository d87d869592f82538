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
  /**
   * Signs every body (HMAC-SHA256); shown to the caller once, at creation. In memory only: the stores
   * keep it sealed (WebhookSecrets) and open it when they list the webhook.
   */
  secret: string;
  createdAt: string;
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
  /** Why the attempt failed, when it did: the receiver's status, a refusal by the destination policy, or "delivery failed". */
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
  /**
   * Deliveries one process's own queue holds (embedded mode), waiting, retrying or under way; when it
   * is full the tenant holding the most gives up its newest waiting delivery to a tenant holding
   * fewer, and a delivery that finds no place is dropped (counted and logged). @default 1000
   */
  maxPending: 1000,
  /**
   * Attempts one process's own queue makes at once, all tenants together: eight tenants whose
   * receivers never answer are needed to hold them all. @default 128
   */
  concurrency: 128,
  /**
   * Attempts one tenant has under way at once in a process's own queue: a tenant's receivers that
   * never answer hold at most this many workers, each for timeoutMs, and the rest serve the other
   * tenants. 16 carry ~280 deliveries a second to a receiver answering in 50 ms (measured: 1,000 in
   * 3.6 s; 8 took 6.9 s), 14 decisions a second to each of the 20 webhooks a tenant may have. @default 16
   */
  tenantConcurrency: 16,
  /** Failed attempts in a row that open a webhook's circuit: no attempts for a cool-down. @default 5 */
  breakerFailures: 5,
  /** The first cool-down of an open circuit; each failed trial doubles it. @default 60000 */
  breakerCoolDownMs: 60_000,
  /** The longest cool-down: a receiver down for a day is still tried every 15 min. @default 900000 */
  breakerMaxCoolDownMs: 900_000,
  /** How long a process serves a tenant's webhook list from memory: another replica's change is seen within it. @default 2000 */
  cacheMs: 2000,
  /** Attempts the delivery log keeps per webhook, the newest: enough to see a failing receiver's story. @default 200 */
  logPerWebhook: 200,
} as const;

/** The webhook storage port: local files (embedded mode) or PostgreSQL, shared by every replica. */
export interface WebhookStore {
  /** The tenant's webhooks, deleted ones left out, oldest first, each with its secret opened. */
  list(tenant: string): Promise<Webhook[]>;
  /** Durable when it resolves; the secret is stored sealed. */
  insert(hook: Webhook): Promise<void>;
  /**
   * Delete, its sealed secret wiped from storage; false when the tenant has no such webhook. Durable
   * when it resolves.
   */
  remove(tenant: string, id: string, at: string): Promise<boolean>;
  /**
   * Strike an erased subject's id from the tenant's webhooks' `subjects` filters, deleted webhooks'
   * records included. A webhook that followed that subject alone is deleted: its filter left empty
   * would follow everyone. How many filters named the subject, and how many webhooks went with it.
   */
  forgetSubject(tenant: string, subjectId: string): Promise<{ filters: number; deleted: number }>;
  recordAttempt(attempt: DeliveryAttempt): Promise<void>;
  /** The newest `limit` attempts for one webhook, newest first. */
  attempts(tenant: string, webhookId: string, limit: number): Promise<DeliveryAttempt[]>;
  close(): Promise<void>;
}
