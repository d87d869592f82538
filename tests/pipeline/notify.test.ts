import { createHmac } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
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
      // The tenant's status says the same (the console's settings page shows it).
      expect((await api("GET", "/v1/status")).mqtt).toEqual({ configured: true, connected: true, published: 1, dropped: 0 });
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

/** Every file and folder under `dir` (itself included), with its permission bits. */
function modesUnder(dir: string): { path: string; folder: boolean; mode: number }[] {
  const here = { path: dir, folder: true, mode: statSync(dir).mode & 0o777 };
  return [
    here,
    ...readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? modesUnder(join(dir, e.name))
        : [{ path: join(dir, e.name), folder: false, mode: statSync(join(dir, e.name)).mode & 0o777 }],
    ),
  ];
}

describeWithShared("webhooks from a real embedded gateway: destinations, secrets at rest, the data folder's modes", () => {
  it("refuses its own ops port and other internal addresses, delivers to the allowed receiver, keeps its state private", async () => {
    // The receiver is on 127.0.0.2, the one loopback address the operator allows; the ops port is on 127.0.0.1.
    const requests: { headers: IncomingHttpHeaders; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        requests.push({ headers: req.headers, body });
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.2", resolve));
    const data = mkdtempSync(join(tmpdir(), "webhooks-gateway-"));
    let secret = "";
    const gw = await embeddedGateway(data, { FACEREC_WEBHOOK_ALLOW: "127.0.0.2/32" });
    try {
      const key = /(frk_[0-9a-f]{16}_[A-Za-z0-9_-]{43})/.exec(gw.output)?.[1] as string;
      const api = async (method: string, path: string, body?: unknown) => {
        const r = await fetch(`${gw.url}${path}`, {
          method,
          headers: { "x-api-key": key, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        return { status: r.status, json: (await r.json()) as Record<string, unknown> };
      };
      const opsPort = new URL(gw.ops).port;
      for (const [url, kind] of [
        [`${gw.ops}/metrics`, "loopback"],
        [`http://localhost:${opsPort}/metrics`, "loopback"],
        [`http://[::1]:${opsPort}/metrics`, "loopback"],
        ["http://169.254.169.254/latest/meta-data/", "link-local"],
        [`http://0.0.0.0:${opsPort}/metrics`, "unspecified"],
        ["http://10.0.0.1/", "private"],
      ]) {
        const r = await api("POST", "/v1/webhooks", { url });
        expect(r.status, url).toBe(400);
        expect(String(r.json.message), url).toContain(`in the ${kind} range`);
      }
      const created = await api("POST", "/v1/webhooks", {
        url: `http://127.0.0.2:${(receiver.address() as AddressInfo).port}/hook`,
      });
      expect(created.status).toBe(201);
      secret = String(created.json.secret);
      await api("POST", "/v1/identify", { image: readFileSync(knn("test", "obama1.jpg")).toString("base64"), camera: "door" });
      const [delivery] = await eventually(
        async () => {
          expect(requests.length).toBeGreaterThan(0);
          return requests;
        },
        20_000,
        50,
      );
      const [t, v1] = String(delivery?.headers["facerec-signature"])
        .split(",")
        .map((part) => part.split("=")[1]);
      expect(createHmac("sha256", secret).update(`${t}.${delivery?.body}`).digest("hex")).toBe(v1);
      const metrics = await (await fetch(`${gw.ops}/metrics`)).text();
      expect(metricSum(metrics, "facerec_webhook_attempts", { result: "delivered" })).toBe(1);
    } finally {
      expect(await gw.stop()).toBe(0);
      receiver.close();
    }
    // What the gateway left in its fresh data folder: nothing group or other may read, enter or list,
    // and the webhook's secret in no file.
    const entries = modesUnder(data);
    expect(entries.map((e) => e.path)).toContain(join(data, "webhooks", "webhooks.key"));
    expect(entries.filter((e) => e.mode & 0o077).map((e) => `${e.path} ${e.mode.toString(8)}`)).toEqual([]);
    for (const e of entries.filter((e) => !e.folder)) expect(readFileSync(e.path, "latin1"), e.path).not.toContain(secret);
  });
});
