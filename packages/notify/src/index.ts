export { MqttNotifier, type MqttNotifierOptions, notificationOf, notifierFromEnv, notifierMetrics } from "./mqtt.js";
export {
  BullDeliveryQueue,
  type DeliveryAttempt,
  type DeliveryJob,
  type DeliveryQueue,
  FileWebhookStore,
  LocalDeliveryQueue,
  PgWebhookStore,
  startWebhookWorker,
  WEBHOOK_DEFAULTS,
  WEBHOOK_QUEUE,
  type Webhook,
  WebhookDispatcher,
  type WebhookStore,
  webhookMetrics,
  webhookSignature,
} from "./webhooks.js";
