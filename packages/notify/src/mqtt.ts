import { withoutSecrets } from "@facerec/common";
import type { MatchEvent } from "@facerec/contracts";
import mqtt, { type MqttClient } from "mqtt";
import { Gauge, type Registry } from "prom-client";

export interface MqttNotifierOptions {
  /** The broker: mqtt://user:password@host:1883, or mqtts:// for TLS. */
  url: string;
  /** Topics start with this. @default "facerec" */
  prefix?: string;
  /** Only these outcomes (match, unknown, rejected-quality, rejected-spoof); empty: every one. */
  outcomes?: readonly string[];
  /** Only these cameras; empty: every one. */
  cameras?: readonly string[];
  /** This process in the availability topic (`<prefix>/status/<clientId>`). */
  clientId?: string;
}

/** What a notification carries: the decision, never a face or an embedding. */
export function notificationOf(event: MatchEvent): Record<string, unknown> {
  return {
    tenant: event.tenant,
    camera: event.camera,
    outcome: event.outcome,
    ...(event.subjectId ? { subjectId: event.subjectId } : {}),
    ...(event.subjectName ? { subjectName: event.subjectName } : {}),
    score: event.score,
    threshold: event.threshold,
    quality: event.quality,
    liveness: event.liveness,
    time: (event.frameTime ?? event.decidedAt ?? new Date()).toISOString(),
    cropId: event.cropId,
  };
}

/**
 * Match decisions published to an MQTT broker, the way home-automation and security systems take them
 * (Home Assistant's MQTT sensors, Node-RED): one JSON message a decision on
 * `<prefix>/<tenant>/<camera>/<outcome>` at QoS 1, and a retained availability message on
 * `<prefix>/status/<clientId>` ("online", and "offline" as the broker's last will when this process
 * goes). Notifications are best effort: while the broker is away they are counted as dropped rather
 * than queued without bound; the audit trail and the match stream stay the record of every decision.
 */
export class MqttNotifier {
  published = 0;
  dropped = 0;

  private constructor(
    private readonly client: MqttClient,
    private readonly options: Required<Omit<MqttNotifierOptions, "url">>,
  ) {}

  static async connect(options: MqttNotifierOptions): Promise<MqttNotifier> {
    const full = {
      prefix: options.prefix ?? "facerec",
      outcomes: options.outcomes ?? [],
      cameras: options.cameras ?? [],
      clientId: options.clientId ?? `facerec-${process.pid}`,
    };
    const status = `${full.prefix}/status/${full.clientId}`;
    const client = mqtt.connect(options.url, {
      clientId: full.clientId,
      will: { topic: status, payload: Buffer.from("offline"), qos: 1, retain: true },
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      // Nothing is queued while disconnected: notify() counts those as dropped instead.
      queueQoSZero: false,
    });
    client.on("connect", () => client.publish(status, "online", { qos: 1, retain: true }));
    // Errors (a refused password, a broker gone) end up as reconnects; they must not end the process.
    client.on("error", () => {});
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no MQTT broker answered at ${withoutSecrets(options.url)} within 10 s`)),
        10_000,
      );
      client.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
    }).catch((error) => {
      client.end(true);
      throw error;
    });
    return new MqttNotifier(client, full);
  }

  /** Whether the broker is connected now (it reconnects by itself a second after a loss). */
  get connected(): boolean {
    return this.client.connected;
  }

  /** Publish one decision, when it passes the filters and the broker is connected. */
  notify(event: MatchEvent): void {
    const { outcomes, cameras, prefix } = this.options;
    if (outcomes.length && !outcomes.includes(event.outcome)) return;
    if (cameras.length && !cameras.includes(event.camera)) return;
    if (!this.client.connected) {
      this.dropped++;
      return;
    }
    this.client.publish(`${prefix}/${event.tenant}/${event.camera}/${event.outcome}`, JSON.stringify(notificationOf(event)), {
      qos: 1,
    });
    this.published++;
  }

  /** Say "offline" (retained) and disconnect. */
  async close(): Promise<void> {
    const status = `${this.options.prefix}/status/${this.options.clientId}`;
    if (this.client.connected) await this.client.publishAsync(status, "offline", { qos: 1, retain: true });
    await this.client.endAsync();
  }
}

const list = (raw: string | undefined) => (raw ?? "").split(",").filter(Boolean);

/**
 * The notifier a service runs when FACEREC_MQTT_URL is set (FACEREC_MQTT_PREFIX, FACEREC_MQTT_OUTCOMES
 * and FACEREC_MQTT_CAMERAS narrow it), else none.
 */
export async function notifierFromEnv(clientId: string, env: NodeJS.ProcessEnv = process.env): Promise<MqttNotifier | undefined> {
  if (!env.FACEREC_MQTT_URL) return undefined;
  return MqttNotifier.connect({
    url: env.FACEREC_MQTT_URL,
    clientId,
    ...(env.FACEREC_MQTT_PREFIX ? { prefix: env.FACEREC_MQTT_PREFIX } : {}),
    outcomes: list(env.FACEREC_MQTT_OUTCOMES),
    cameras: list(env.FACEREC_MQTT_CAMERAS),
  });
}

/** facerec_notifications{state="published"|"dropped"}: what the notifier sent, and dropped while the broker was away. */
export function notifierMetrics(registry: Registry, notifier: MqttNotifier): void {
  new Gauge({
    name: "facerec_notifications",
    help: "MQTT notifications since start: published, and dropped while the broker was unreachable.",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      this.set({ state: "published" }, notifier.published);
      this.set({ state: "dropped" }, notifier.dropped);
    },
  });
}
