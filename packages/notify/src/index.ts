export { MqttNotifier, type MqttNotifierOptions, notificationOf, notifierFromEnv, notifierMetrics } from "./mqtt.js";
export { type BreakerOptions, type CircuitState, WebhookBreakers } from "./webhook-breaker.js";
export { webhookSignature } from "./webhook-delivery.js";
export { addressClass, DestinationError, DestinationPolicy, type Resolver } from "./webhook-destinations.js";
export {
  BullDeliveryQueue,
  DELIVERY_FAILED,
  type DeliveryQueue,
  startWebhookWorker,
  WEBHOOK_QUEUE,
  WebhookDispatcher,
  webhookMetrics,
} from "./webhook-dispatcher.js";
export { FileWebhookStore } from "./webhook-file-store.js";
export { LocalDeliveryQueue, type LocalQueueOptions } from "./webhook-local-queue.js";
export {
  type DeliveryAttempt,
  type DeliveryJob,
  WEBHOOK_DEFAULTS,
  type Webhook,
  type WebhookStore,
} from "./webhook-model.js";
export { PgWebhookStore } from "./webhook-pg-store.js";
export { WEBHOOK_KEY_FILE, WebhookKeyError, WebhookSecrets } from "./webhook-secrets.js";
