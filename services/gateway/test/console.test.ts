import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Gateway, openGateway } from "@facerec/operations";
import { describeWithShared, LFW } from "@facerec/testkit";
import { launchChromium, openConsole as openIn } from "@facerec/testkit/browser";
import type { FastifyInstance } from "fastify";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildApp } from "../src/index.js";
import { knn } from "./scenarios.js";

let embedded: Gateway;
let app: FastifyInstance;
let browser: Browser;
let base: string;
let key: string;

const openConsole = (key: string) => openIn(browser, base, key);

describeWithShared("web console in headless Chromium", () => {
  beforeAll(async () => {
    // Every unknown face goes to the review queue, with its crop; the photos are stored ones, so no
    // liveness gate.
    embedded = await openGateway(mkdtempSync(join(tmpdir(), "console-")), {
      env: { ...process.env, FACEREC_REVIEW: "all", FACEREC_LIVENESS_POLICY: "off", FACEREC_RETAIN_CROPS: "1" },
    });
    key = (await embedded.keys.create("acme", "operator", ["admin"])).key;
    app = await buildApp(embedded.recognition, embedded.audit);
    base = await app.listen({ host: "127.0.0.1", port: 0 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await embedded?.close();
  });

  it("enrols a subject from photos, identifies a photo with boxes and names, and browses the audit log", async () => {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on("pageerror", (e) => failed.push(e.message));
    await page.goto(`${base}/`);
    expect(page.url()).toBe(`${base}/console/`);
    await page.fill("#key", key);
    await page.dispatchEvent("#key", "change");

    await page.fill("#enrol-name", "Barack Obama");
    await page.setInputFiles("#enrol-photos", [knn("train", "obama", "obama.jpg"), knn("train", "obama", "obama2.jpg")]);
    await page.click("#enrol-form button");
    await expect.poll(() => page.textContent("#enrol-result")).toMatch(/Enrolled Barack Obama: 2 template/);
    await expect.poll(() => page.textContent("#subjects")).toContain("Barack Obama");
    await page.click("#status-load");
    await expect
      .poll(() => page.textContent("#status-result"))
      .toMatch(/^1 subject\(s\), 2 template\(s\);.*model arcface512; audit writable$/);

    await page.setInputFiles("#identify-photo", knn("test", "obama_and_biden.jpg"));
    await page.click("#identify-form button");
    await expect.poll(() => page.textContent("#identify-result")).toMatch(/\d+ face\(s\)/);
    const labels = await page.$$eval("#identify-faces li span", (items) => items.map((li) => li.textContent ?? ""));
    expect(labels.filter((l) => l.startsWith("Barack Obama"))).toHaveLength(1);
    expect(labels.filter((l) => l === "unknown").length).toBeGreaterThan(0);
    // The canvas shows the photo at full size with a green box drawn around the match.
    const greenPixels = await page.$eval("#identify-canvas", (canvas) => {
      // The test files are type-checked without the DOM library: name just what is used.
      type Canvas = { width: number; height: number; getContext(kind: "2d"): Context };
      type Context = { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
      const c = canvas as unknown as Canvas;
      const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] === 0x1d && data[i + 1] === 0xb9 && data[i + 2] === 0x54) n++;
      return n;
    });
    expect(greenPixels).toBeGreaterThan(100);
    await page.screenshot({ path: join(tmpdir(), "facerec-console.png"), fullPage: true });

    await page.click("#audit-load");
    await expect.poll(() => page.$$eval("#audit-rows tr", (rows) => rows.length)).toBeGreaterThanOrEqual(3);
    const operations = await page.$$eval("#audit-rows tr td:nth-child(3)", (cells) => cells.map((c) => c.textContent));
    expect(operations).toEqual(expect.arrayContaining(["create-subject", "enroll", "identify"]));
    // Filtered by operation and by the subject's name: only those entries.
    await page.fill("#audit-operation", "enroll");
    await page.click("#audit-load");
    await expect
      .poll(() => page.$$eval("#audit-rows tr td:nth-child(3)", (cells) => [...new Set(cells.map((c) => c.textContent))]))
      .toEqual(["enroll"]);
    await page.fill("#audit-operation", "");
    await page.fill("#audit-subject", "Barack Obama");
    await page.click("#audit-load");
    await expect
      .poll(() => page.$$eval("#audit-rows tr td:nth-child(5)", (cells) => [...new Set(cells.map((c) => c.textContent))]))
      .toEqual(["Barack Obama"]);

    // The transparency notice: the policy in force, and the rate the threshold in use is set for.
    await page.click("#notice-load");
    await expect
      .poll(() => page.textContent("#notice-result"))
      .toMatch(/^Policy version 0, notice version 1; consent not required/);
    expect(await page.$$eval("#notice-rates tr td:first-child", (cells) => cells.map((c) => c.textContent))).toContain(
      "strangers named as someone enrolled (false positive identification rate): the target the threshold is set for",
    );
    await page.screenshot({ path: join(tmpdir(), "facerec-console-notice.png"), fullPage: true });

    await page.fill("#key", "frk_0000000000000000_wrongwrongwrongwrongwrongwrongwrongwrongwro");
    await page.dispatchEvent("#key", "change");
    await page.click("#audit-load");
    await expect.poll(() => page.textContent("#audit-result")).toMatch(/401/);
    expect(failed).toEqual([]);
  });

  it("names a stranger from the review queue; the next photo of that person is named", async () => {
    // A tenant of its own, so the first test's unknown faces are not in this queue.
    const desk = (await embedded.keys.create("front-desk", "operator", ["admin"])).key;
    for (const n of [1, 2, 3]) {
      const r = await fetch(`${base}/v1/identify`, {
        method: "POST",
        headers: { "x-api-key": desk, "content-type": "application/json" },
        body: JSON.stringify({ image: readFileSync(LFW("Gerhard_Schroeder", n)).toString("base64"), camera: "door" }),
      });
      expect(((await r.json()) as { faces: { outcome: string }[] }).faces[0]?.outcome).toBe("unknown");
    }
    const { page, failed } = await openConsole(desk);
    await page.click("#review-load");
    await expect.poll(() => page.textContent("#review-result")).toBe("1 group(s) to review");
    const row = await page.$$eval("#review-rows tr td", (cells) => cells.slice(0, 2).map((c) => c.textContent));
    expect(row).toEqual(["3", "door"]);
    // Opened, the group shows its three faces' crops, loaded behind the key.
    await page.click("#review-rows button.link");
    await expect
      .poll(() =>
        page.$$eval("#review-rows tr.faces img", (imgs) =>
          imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth),
        ),
      )
      .toEqual([112, 112, 112]);
    expect(await page.textContent("#review-rows tr.faces figcaption")).toMatch(/^door, /);
    await page.screenshot({ path: join(tmpdir(), "facerec-console-review.png"), fullPage: true });
    // Keyboard only: the name field, then Tab to Assign and Enter.
    await page.focus("#review-rows input");
    await page.keyboard.type("Gerhard Schroeder");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.textContent("#review-result")).toMatch(/^Assigned to Gerhard Schroeder: 3 template\(s\)/);
    await expect.poll(() => page.$$eval("#review-rows tr", (rows) => rows.length)).toBe(0);
    await expect.poll(() => page.textContent("#subjects")).toContain("Gerhard Schroeder");

    await page.setInputFiles("#identify-photo", LFW("Gerhard_Schroeder", 4));
    await page.click("#identify-form button");
    await expect.poll(() => page.textContent("#identify-result")).toBe("1 face(s)");
    expect(await page.textContent("#identify-faces li span")).toMatch(/^Gerhard Schroeder \(0\.\d\d\)$/);
    expect(failed).toEqual([]);
  });

  it("marks a wrong match from the identify result; that person's next photo is not named so", async () => {
    const desk = (await embedded.keys.create("look-alikes", "operator", ["admin"])).key;
    const john = await fetch(`${base}/v1/subjects`, {
      method: "POST",
      headers: { "x-api-key": desk, "content-type": "application/json" },
      body: JSON.stringify({ name: "John Stockton" }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const images = [1, 2].map((n) => readFileSync(LFW("John_Stockton", n)).toString("base64"));
    await fetch(`${base}/v1/subjects/${john.id}/enroll`, {
      method: "POST",
      headers: { "x-api-key": desk, "content-type": "application/json" },
      body: JSON.stringify({ images }),
    });
    const { page, failed } = await openConsole(desk);
    await expect.poll(() => page.textContent("#subjects")).toContain("John Stockton");
    const identify = async (n: number) => {
      await page.setInputFiles("#identify-photo", LFW("Anders_Fogh_Rasmussen", n));
      await page.click("#identify-form button");
      await expect.poll(() => page.textContent("#identify-result")).toBe("1 face(s)");
      return page.textContent("#identify-faces li span");
    };
    // A look-alike, never enrolled, named John Stockton; the operator says it was not him.
    expect(await identify(1)).toMatch(/^John Stockton/);
    await page.click("#identify-faces li button");
    await expect.poll(() => page.textContent("#identify-result")).toBe("Marked: not John Stockton");
    await page.screenshot({ path: join(tmpdir(), "facerec-console-feedback.png"), fullPage: true });
    expect(await identify(2)).toBe("unknown");

    // His page: what is held, the decisions that named him (the feedback among them), and erasure.
    await page.click("#subjects button");
    await expect.poll(() => page.textContent("#subject-facts")).toMatch(/^2 template\(s\)/);
    const decisions = await page.$$eval("#subject-decisions li", (items) => items.map((li) => li.textContent ?? ""));
    expect(decisions.some((d) => /feedback-wrong: negative /.test(d))).toBe(true);
    expect(decisions.some((d) => /identify: match \(0\.\d\d\)/.test(d))).toBe(true);
    await page.screenshot({ path: join(tmpdir(), "facerec-console-subject.png"), fullPage: true });
    page.once("dialog", (dialog) => dialog.accept());
    await page.click("#subject-erase");
    await expect.poll(() => page.textContent("#subject-result")).toBe("Erased John Stockton");
    await expect.poll(() => page.textContent("#subjects")).toBe("");
    expect(failed).toEqual([]);
  });

  it("follows live decisions per camera as they are made", async () => {
    const site = (await embedded.keys.create("site", "operator", ["admin"])).key;
    const post = (path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: "POST",
        headers: { "x-api-key": site, "content-type": "application/json" },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<{ id: string }>);
    const john = await post("/v1/subjects", { name: "John Stockton" });
    await post(`/v1/subjects/${john.id}/enroll`, {
      images: [1, 2].map((n) => readFileSync(LFW("John_Stockton", n)).toString("base64")),
    });
    const { page, failed } = await openConsole(site);
    await page.click("#live-toggle");
    await expect.poll(() => page.textContent("#live-result")).toBe("following");
    await post("/v1/identify", { image: readFileSync(LFW("John_Stockton", 3)).toString("base64"), camera: "door" });
    await post("/v1/identify", { image: readFileSync(LFW("Gerhard_Schroeder", 1)).toString("base64"), camera: "lobby" });
    await expect.poll(() => page.$$eval("#live-cameras h3", (hs) => hs.map((h) => h.textContent))).toEqual(["door", "lobby"]);
    expect(await page.textContent("#live-door li")).toMatch(/John Stockton \(0\.\d\d\)$/);
    expect(await page.textContent("#live-lobby li")).toMatch(/unknown/);
    await page.screenshot({ path: join(tmpdir(), "facerec-console-live.png"), fullPage: true });
    await page.click("#live-toggle");
    await expect.poll(() => page.textContent("#live-result")).toBe("stopped");
    expect(failed).toEqual([]);
  });
});
