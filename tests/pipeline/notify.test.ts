import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeWithShared } from "@facerec/testkit";
import { embeddedGateway, metricSum, mosquittoServer, type ServerProcess } from "@facerec/testkit/servers";
import mqtt from "mqtt";
import { afterAll, expect, it } from "vitest";
import { eventually, knn } from "./stack.js";

const running: ServerProcess[] = [];

describeWithShared("decisions pushed to MQTT (a real mosquitto)", () => {
  afterAll(async () => {
    for (const p of running.reverse()) await p.stop();
  });

  it("publishes each decision on facerec/<tenant>/<camera>/<outcome>, filtered, with a retained availability", async () => {
    const broker = await mosquittoServer();
    running.push(broker);
    const gw = await embeddedGateway(mkdtempSync(join(tmpdir(), "mqtt-gateway-")), {
      FACEREC_MQTT_URL: broker.url,
      FACEREC_MQTT_OUTCOMES: "match",
    });
    const key = /(frk_[0-9a-f]{16}_[A-Za-z0-9_-]{43})/.exec(gw.output)?.[1] as string;
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${gw.url}${path}`, {
        method,
        headers: { "x-api-key": key, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return (await r.json()) as Record<string, unknown>;
    };
    const b64 = (file: string) => readFileSync(file).toString("base64");
    const obama = (await api("POST", "/v1/subjects", { name: "obama" })).id as string;
    await api("POST", `/v1/subjects/${obama}/enroll`, { images: [b64(knn("train", "obama", "obama.jpg"))] });

    const received: { topic: string; payload: string; retain: boolean }[] = [];
    const listener = await mqtt.connectAsync(broker.url);
    listener.on("message", (topic, payload, packet) =>
      received.push({ topic, payload: payload.toString(), retain: packet.retain }),
    );
    await listener.subscribeAsync("facerec/#", { qos: 1 });
    try {
      // The availability message was retained: a subscriber that comes later still learns it.
      await eventually(
        async () =>
          expect(received.find((m) => m.topic.startsWith("facerec/status/"))).toMatchObject({ payload: "online", retain: true }),
        10_000,
        50,
      );
      // The stranger first: filtered out (FACEREC_MQTT_OUTCOMES=match), so the match is the only message.
      await api("POST", "/v1/identify", { image: b64(knn("test", "alex_lacamoire1.jpg")), camera: "door" });
      await api("POST", "/v1/identify", { image: b64(knn("test", "obama1.jpg")), camera: "door" });
      const decisions = await eventually(
        async () => {
          const found = received.filter((m) => !m.topic.startsWith("facerec/status/"));
          expect(found.length).toBeGreaterThan(0);
          return found;
        },
        10_000,
        50,
      );
      expect(decisions.map((m) => m.topic)).toEqual(["facerec/default/door/match"]);
      const match = JSON.parse(decisions[0]?.payload as string);
      expect(match).toMatchObject({
        tenant: "default",
        camera: "door",
        outcome: "match",
        subjectId: obama,
        subjectName: "obama",
      });
      expect(match.score).toBeGreaterThan(match.threshold);
      // Only decisions: no image, crop or embedding travels.
      expect(Object.keys(match).sort()).toEqual(
        [
          "camera",
          "cropId",
          "liveness",
          "outcome",
          "quality",
          "score",
          "subjectId",
          "subjectName",
          "tenant",
          "threshold",
          "time",
        ].sort(),
      );
      const metrics = await (await fetch(`${gw.ops}/metrics`)).text();
      expect(metricSum(metrics, "facerec_notifications", { state: "published" })).toBe(1);
      expect(metricSum(metrics, "facerec_notifications", { state: "dropped" })).toBe(0);
      const stopped = received.length;
      expect(await gw.stop()).toBe(0);
      await eventually(
        async () => expect(received.slice(stopped).find((m) => m.topic.startsWith("facerec/status/"))?.payload).toBe("offline"),
        10_000,
        50,
      );
    } finally {
      await listener.endAsync();
      await gw.stop();
    }
  });
});
