import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Gateway, openGateway } from "@facerec/operations";
import { describeWithShared } from "@facerec/testkit";
import { launchChromium, openConsole } from "@facerec/testkit/browser";
import { orlFrame, writeY4m } from "@facerec/testkit/orl";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildApp } from "../src/index.js";

let gateway: Gateway;
let app: FastifyInstance;
let base: string;
let key: string;
let videos: string;

/**
 * Runs the console's liveness check in headless Chromium whose camera plays `video` (Chromium's fake
 * capture device, looping the file) and returns what the page said of the result.
 */
async function checkWithCamera(video: string, person?: string): Promise<string> {
  const browser = await launchChromium([
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    `--use-file-for-fake-video-capture=${video}`,
  ]);
  try {
    const { page, failed } = await openConsole(browser, base, key, "check");
    if (person) {
      // The subjects come into the list once the key is in.
      await expect.poll(() => page.$$eval("#challenge-subject option", (os) => os.map((o) => o.textContent))).toContain(person);
      await page.selectOption("#challenge-subject", { label: person });
    }
    await page.click("#challenge-start");
    await expect.poll(() => page.textContent("#challenge-steps")).toBe("Turn your head to your right, then back");
    // The page gives up after 15 s of frames without every action seen; then it asks for the result.
    await expect.poll(() => page.textContent("#challenge-result")).not.toBe("");
    expect(failed).toEqual([]);
    return (await page.textContent("#challenge-result")) ?? "";
  } finally {
    await browser.close();
  }
}

describeWithShared("the console's liveness check in Chromium with a camera", () => {
  beforeAll(async () => {
    // One action, so the videos made before Chromium starts know what will be asked.
    gateway = await openGateway(mkdtempSync(join(tmpdir(), "challenge-console-")), {
      env: { ...process.env, FACEREC_CHALLENGE_ACTIONS: "turn-right", FACEREC_CHALLENGE_STEPS: "1" },
    });
    key = (await gateway.keys.create("acme", "kiosk", ["recognise"])).key;
    // ORL s1 enrolled from captures the videos do not show.
    const p = await gateway.keys.authenticate((await gateway.keys.create("acme", "desk", ["admin"])).key);
    const s1 = await gateway.recognition.createSubject(p, "ORL s1", {});
    await gateway.recognition.enroll(p, s1.id, await Promise.all([10, 5].map(async (c) => (await orlFrame(1, c)).jpeg)));
    app = await buildApp(gateway.recognition, gateway.audit);
    base = await app.listen({ host: "127.0.0.1", port: 0 });
    videos = mkdtempSync(join(tmpdir(), "camera-"));
  });
  afterAll(async () => {
    await app?.close();
    await gateway?.close();
  });

  it("passes the person who turns as asked, and fails a still photo and the wrong answer", async () => {
    // ORL s1: 1, 2 and 4 face the camera, 3 is turned to her right, 9 has her eyes closed.
    const [facing1, facing2, facing4, turned, closed] = await Promise.all([1, 2, 4, 3, 9].map((n) => orlFrame(1, n)));
    const shot = (f: { grey: Buffer } | undefined, seconds: number) => ({ grey: (f as { grey: Buffer }).grey, seconds });
    const turns = join(videos, "turns.y4m");
    // Each pose is held for seconds, so a loaded machine that sends one frame a second still sees
    // every pose in two frames or more (MIN_RUN).
    writeY4m(turns, [shot(facing1, 2), shot(facing2, 1), shot(turned, 2), shot(facing4, 2), shot(facing2, 1)], 10);
    const still = join(videos, "still.y4m");
    writeY4m(still, [shot(facing1, 1)], 10);
    const blinks = join(videos, "blinks.y4m");
    writeY4m(blinks, [shot(facing1, 2), shot(facing2, 1), shot(closed, 2), shot(facing4, 2)], 10);

    expect(await checkWithCamera(turns)).toBe("Live: the frames show turn-right, as asked");
    expect(await checkWithCamera(turns, "ORL s1")).toMatch(
      /^Live: the frames show turn-right, as asked; it is ORL s1 \(score 0\.\d\d, threshold 0\.\d\d\)$/,
    );
    expect(await checkWithCamera(still)).toMatch(/^Not live \(still-image\)/);
    expect(await checkWithCamera(blinks)).toMatch(/^Not live \(missing-action\): the frames do not show turn-right/);

    const audit = await gateway.audit.query({ tenant: "acme", operation: "liveness-challenge" });
    expect(audit.entries.map((e) => e.decision).sort()).toEqual([
      "live",
      "live:match",
      "rejected-spoof:missing-action",
      "rejected-spoof:still-image",
    ]);
  });
});
