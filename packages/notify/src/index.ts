export { MqttNotifier, type MqttNotifierOptions, notificationOf, notifierFromEnv, notifierMetrics } from "./mqtt.js";
