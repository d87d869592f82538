export { MqttNotifier, type MqttNotifierOptions, notificationOf, notifierFromEnv } from "./mqtt.js";
