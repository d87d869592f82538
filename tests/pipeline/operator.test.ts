import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectBus } from "@facerec/pipeline";
import { describeWithShared, LFW } from "@facerec/testkit";
import { launchChromium, openConsole } from "@facerec/testkit/browser";
import { gatewayProcess, natsServer, postgresServer, type ServerProcess, serviceProcess } from "@facerec/testkit/servers";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { eventually, matchEvents, videoOf } from "./stack.js";

const running: ServerProcess[] = [];
let pg: Awaited<ReturnType<typeof postgresServer>>;
let nc: NatsConnection;
let browser: Browser;
let base: string;
let admin: string;
let env: Record<string, string>;

/** A camera showing a made video of `photos`; the photos are stored ones, so no liveness gate at its edge. */
async function camera(name: string, photos: string[]): Promise<void> {
  running.push(
    await serviceProcess("edge-detector", {
      ...env,
      TENANT: "default",
      EDGE_CAMERA: name,
      EDGE_SOURCE: await videoOf(photos),
      EDGE_FPS: "4",
      EDGE_MIN_LIVENESS: "0",
    }),
  );
}

describeWithShared("the operator's loop across the distributed system, in the console (Chromium)", () => {
  beforeAll(async () => {
    pg = await postgresServer();
    const nats = await natsServer();
    running.push(nats);
    // The entrance camera's unknown faces are queued with their crops, in the shared PostgreSQL.
    env = {
      NATS_URL: nats.url,
      DATABASE_URL: pg.url,
      FACEREC_REVIEW: "entrance",
      FACEREC_RETAIN_CROPS: "1",
      FACEREC_MIN_LIVENESS: "0",
    };
    const gateway = await gatewayProcess(env);
    running.push(gateway);
    base = gateway.url;
    admin = gateway.admin;
    // The tenant lets two cameras identify; the matcher refuses the others.
    const policy = await fetch(`${base}/v1/policy`, {
      method: "PUT",
      headers: { "x-api-key": admin, "content-type": "application/json" },
      body: JSON.stringify({ identify: { cameras: ["entrance", "lobby"] } }),
    });
    expect(policy.status).toBe(200);
    running.push(await serviceProcess("embedder", env), await serviceProcess("matcher", env));
    nc = await connectBus(nats.url, "operator-test");
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await nc?.drain();
    for (const p of running.reverse()) await p.stop();
    await pg?.stop();
  });

  it("strangers of a video are grouped; named in the console, the person is named in the next video", async () => {
    // Three photos of one stranger and two of another, alternating.
    await camera("entrance", [
      LFW("Gerhard_Schroeder", 1),
      LFW("Jean_Chretien", 1),
      LFW("Gerhard_Schroeder", 2),
      LFW("Jean_Chretien", 2),
      LFW("Gerhard_Schroeder", 3),
    ]);
    await eventually(async () => {
      const events = (await matchEvents(nc)).filter((e) => e.camera === "entrance");
      expect(events.map((e) => e.outcome)).toEqual(Array(5).fill("unknown"));
    });

    const { page, failed } = await openConsole(browser, base, admin, "review");
    await expect.poll(() => page.textContent("#review-result")).toBe("2 group(s) to review");
    const groups = await page.$$eval("#review-rows li.group .group-head", (heads) => heads.map((h) => h.textContent ?? ""));
    expect(groups.map((g) => /(\d) face\(s\)/.exec(g)?.[1]).sort()).toEqual(["2", "3"]);
    expect(groups.every((g) => g.includes("entrance"))).toBe(true);
    // The group of three: the crops the edge cut, forwarded by the embedder, kept by the matcher.
    const three = groups.findIndex((g) => g.includes("3 face(s)"));
    await expect
      .poll(() =>
        page.$$eval(`#review-rows li.group:nth-child(${three + 1}) img`, (imgs) =>
          imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth),
        ),
      )
      .toEqual([112, 112, 112]);
    await page.screenshot({ path: join(tmpdir(), "facerec-console-operator.png"), fullPage: true });
    // Named from the keyboard: from the page, j to the group's name field, type, Enter.
    await page.focus("#page-title");
    for (let i = 0; i <= three; i++) {
      if (i > 0) await page.keyboard.press("Escape");
      await page.keyboard.press("j");
    }
    await page.keyboard.type("Gerhard Schroeder");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.textContent("#review-result")).toMatch(/^Assigned to Gerhard Schroeder: 3 template\(s\)/);
    await expect.poll(() => page.$$eval("#review-rows li.group", (els) => els.length)).toBe(1);
    expect(failed).toEqual([]);

    // The matcher follows the new subject from PostgreSQL: the next video of him, at another camera, names him.
    await camera("lobby", [LFW("Gerhard_Schroeder", 4)]);
    const named = await eventually(async () => {
      const events = (await matchEvents(nc)).filter((e) => e.camera === "lobby");
      expect(events).toHaveLength(1);
      return events[0];
    });
    expect(named).toMatchObject({ outcome: "match", subjectName: "Gerhard Schroeder" });

    // A camera the tenant's policy does not list: the matcher decides without searching.
    await camera("parking", [LFW("Gerhard_Schroeder", 5)]);
    const refused = await eventually(async () => {
      const events = (await matchEvents(nc)).filter((e) => e.camera === "parking");
      expect(events).toHaveLength(1);
      return events[0];
    });
    expect(refused).toMatchObject({ outcome: "rejected-camera", subjectId: "", topK: [] });
  });
}, ["data"]);
