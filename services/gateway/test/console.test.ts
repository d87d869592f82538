import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Gateway, openGateway } from "@facerec/operations";
import { describeWithShared, LFW } from "@facerec/testkit";
import { axeViolations, launchChromium, openConsole } from "@facerec/testkit/browser";
import { httpReceiver } from "@facerec/testkit/servers";
import type { FastifyInstance } from "fastify";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildApp } from "../src/index.js";

let data: string;
let embedded: Gateway;
let app: FastifyInstance;
let browser: Browser;
let base: string;
let key: string;

/** LFW people enrolled from their first two photos; their third is what the cameras see. */
const ENROLLED = ["Tony_Blair", "Colin_Powell", "Jean_Chretien", "John_Ashcroft", "Ariel_Sharon"];
const label = (lfwName: string) => lfwName.replace(/_/g, " ");

const b64 = (file: string) => readFileSync(file).toString("base64");

async function api<T>(k: string, method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { "x-api-key": k, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  expect(r.status, `${method} ${path}`).toBeLessThan(300);
  return (await r.json()) as T;
}

async function enrol(k: string, lfwName: string, photos = [1, 2]): Promise<string> {
  const { id } = await api<{ id: string }>(k, "POST", "/v1/subjects", { name: label(lfwName) });
  await api(k, "POST", `/v1/subjects/${id}/enroll`, { images: photos.map((n) => b64(LFW(lfwName, n))) });
  return id;
}

const identify = (k: string, lfwName: string, n: number, camera: string) =>
  api<{ faces: { outcome: string }[] }>(k, "POST", "/v1/identify", { image: b64(LFW(lfwName, n)), camera });

/** The page passes axe-core (no serious or critical violation) and is saved as facerec-console-<name>.png in the temp folder. */
async function checked(page: Page, name: string): Promise<void> {
  expect(await axeViolations(page), `axe on ${name}`).toEqual([]);
  await page.screenshot({ path: join(tmpdir(), `facerec-console-${name}.png`), fullPage: true });
}

const at = (k: string, where: string, viewport?: { width: number; height: number }) =>
  openConsole(browser, base, k, where, viewport);
const texts = (page: Page, selector: string) => page.$$eval(selector, (els) => els.map((e) => e.textContent ?? ""));

describeWithShared("web console in headless Chromium, page by page", () => {
  beforeAll(async () => {
    // Every unknown face goes to the review queue, with its crop; the photos are stored ones, so no
    // liveness gate.
    data = mkdtempSync(join(tmpdir(), "console-"));
    embedded = await openGateway(data, {
      env: {
        ...process.env,
        FACEREC_REVIEW: "all",
        FACEREC_LIVENESS_POLICY: "off",
        FACEREC_RETAIN_CROPS: "1",
        // The settings page's webhook receiver is on loopback, as an on-site receiver an operator allows.
        FACEREC_WEBHOOK_ALLOW: "127.0.0.1/32",
      },
    });
    key = (await embedded.keys.create("acme", "operator", ["admin"])).key;
    app = await buildApp(embedded.recognition, embedded.audit);
    base = await app.listen({ host: "127.0.0.1", port: 0 });
    for (const person of ENROLLED) await enrol(key, person);
    // What two cameras saw: the enrolled people's third photos at the door, two strangers in the lobby.
    for (const person of ENROLLED) await identify(key, person, 3, "door");
    for (const n of [1, 2, 3]) await identify(key, "Gerhard_Schroeder", n, "lobby");
    await identify(key, "Hugo_Chavez", 1, "lobby");
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await embedded?.close();
    rmSync(data, { recursive: true, force: true });
  });

  it("Overview: the tenant's counts, decisions per hour and camera, scores against the threshold, in light and dark", async () => {
    // Served under a content policy: its own code only, no framing.
    const policy = (await fetch(`${base}/console/`)).headers.get("content-security-policy") ?? "";
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    const { page, failed } = await at(key, "overview");
    await expect
      .poll(() => page.textContent("#status-result"))
      .toMatch(/^5 subject\(s\), 10 template\(s\); \d+ group\(s\) to review; 0 webhook\(s\); model arcface512; audit writable$/);
    await expect.poll(() => page.textContent("#card-audit")).toMatch(/^intact \(\d+ entries\)$/);
    await expect.poll(() => texts(page, "#overview-sources th")).toEqual(["door", "lobby"]);
    // As many as the trail holds (a photo may hold more than one face), the lobby's among them.
    const decided = (await api<{ entries: { camera?: string; scores?: number[] }[] }>(key, "GET", "/v1/audit?operation=identify"))
      .entries;
    const lobby = decided.filter((e) => e.camera === "lobby").length;
    expect(lobby).toBeGreaterThanOrEqual(4);
    const n = decided.length;
    expect(await page.textContent("#overview-count")).toBe(`${n} of the newest ${n} decisions`);
    const scored = decided.filter((e) => e.scores?.length).length;
    await expect
      .poll(() => page.textContent("#chart-scores figcaption"))
      .toMatch(new RegExp(`: ${scored} scores, \\d+ at or above the threshold 0\\.\\d{3}$`));
    expect(await page.textContent("#card-latency")).toMatch(/^\d+ ms \/ \d+ ms$/);
    await checked(page, "overview");
    // Filtered to one camera, the charts count only its decisions.
    await page.selectOption("#overview-camera", "lobby");
    await expect.poll(() => page.textContent("#overview-count")).toBe(`${lobby} of the newest ${n} decisions`);
    // Dark, on a phone's width: still no serious finding (contrast among them).
    await page.click("#theme");
    await expect.poll(() => page.getAttribute("html", "data-theme")).toBe("dark");
    await page.setViewportSize({ width: 390, height: 844 });
    await checked(page, "overview-dark-390");
    expect(failed).toEqual([]);
  });

  it("People: a searchable grid, enrolment from photos, a person's page with threshold, decisions, export and erasure", async () => {
    const { page, failed } = await at(key, "people");
    await expect.poll(() => page.textContent("#people-count")).toBe("5 of 5 people");
    await page.fill("#people-search", "blair");
    await expect.poll(() => texts(page, "#subjects .name")).toEqual(["Tony Blair"]);
    await page.fill("#people-search", "");
    // Each card shows the person's face: a template's kept crop, asked for once the card is on screen.
    await expect
      .poll(() =>
        page.$$eval("#subjects img", (imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth)),
      )
      .toEqual([112, 112, 112, 112, 112]);
    await page.fill("#enrol-name", "Gray Davis");
    await page.setInputFiles("#enrol-photos", [LFW("Gray_Davis", 1), LFW("Gray_Davis", 2)]);
    await page.click("#enrol-form button");
    await expect.poll(() => page.textContent("#enrol-result")).toBe("Enrolled Gray Davis: 2 template(s)");
    await expect.poll(() => page.textContent("#people-count")).toBe("6 of 6 people");
    await checked(page, "people");

    await page.click("#subjects a >> text=Tony Blair");
    await expect.poll(() => page.textContent("#subject-facts")).toMatch(/^Templates2Enrolled/);
    expect(await page.textContent("#subject-threshold")).toMatch(/^0\.\d{3}: /);
    await expect
      .poll(() =>
        page.$$eval("#subject-templates img", (imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth)),
      )
      .toEqual([112, 112]);
    const blair = decodeURIComponent(new URL(page.url()).hash.split("/")[2] as string);
    await expect
      .poll(() => texts(page, "#subject-decisions li"))
      .toEqual(expect.arrayContaining([expect.stringMatching(/identify: match \(0\.\d\d\)$/)]));
    const download = page.waitForEvent("download");
    await page.click("#subject-export");
    const saved = JSON.parse(readFileSync((await (await download).path()) as string, "utf8")) as { subject: { name: string } };
    expect(saved.subject.name).toBe("Tony Blair");
    await checked(page, "person");
    page.once("dialog", (dialog) => dialog.accept());
    await page.click("#subject-erase");
    await expect.poll(() => page.textContent("#subject-result")).toBe("Erased Tony Blair");
    // Erased with his templates: his face is served no more.
    expect((await fetch(`${base}/v1/subjects/${blair}/crop`, { headers: { "x-api-key": key } })).status).toBe(404);
    await page.click("text=Back to people");
    await expect.poll(() => page.textContent("#people-count")).toBe("5 of 5 people");
    expect(failed).toEqual([]);
  });

  it("Identify: boxes numbered as the list, names, and a wrong match marked so the look-alike is not named next time", async () => {
    const desk = (await embedded.keys.create("look-alikes", "operator", ["admin"])).key;
    await enrol(desk, "John_Stockton");
    const { page, failed } = await at(desk, "identify");
    const identifyIn = async (n: number) => {
      await page.setInputFiles("#identify-photo", LFW("Anders_Fogh_Rasmussen", n));
      await page.click("#identify-form button");
      await expect.poll(() => page.textContent("#identify-result")).toBe("1 face(s)");
      return page.textContent("#identify-faces li span");
    };
    // A look-alike, never enrolled, named John Stockton; the operator says it was not him.
    expect(await identifyIn(1)).toMatch(/^John Stockton \(0\.\d\d\)$/);
    // The canvas shows the photo with a green box around the match.
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
    await page.click("#identify-faces li button");
    await expect.poll(() => page.textContent("#identify-result")).toBe("Marked: not John Stockton");
    await checked(page, "identify");
    expect(await identifyIn(2)).toBe("unknown");
    expect(failed).toEqual([]);
  });

  it("Review: groups with their crops, named from the keyboard, dismissed in bulk; the next photo is named", async () => {
    const desk = (await embedded.keys.create("front-desk", "operator", ["admin"])).key;
    for (const n of [1, 2, 3]) expect((await identify(desk, "Gerhard_Schroeder", n, "door")).faces[0]?.outcome).toBe("unknown");
    for (const n of [1, 2]) await identify(desk, "Hugo_Chavez", n, "lobby");
    for (const n of [1, 2]) await identify(desk, "Vladimir_Putin", n, "lobby");
    const { page, failed } = await at(desk, "review");
    await expect.poll(() => page.textContent("#review-result")).toBe("3 group(s) to review");
    // Each group shows its faces' crops, loaded behind the key.
    await expect
      .poll(() =>
        page.$$eval("#review-rows img", (imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth)),
      )
      .toEqual(Array(7).fill(112));
    await checked(page, "review");
    const groups = await page.$$eval("#review-rows li.group .count", (els) => els.map((e) => e.textContent));
    // Keyboard only: from the page (not a field), j moves to the next group's name field; type, Enter.
    await page.focus("#page-title");
    for (let i = 0; i <= groups.indexOf("3 face(s)"); i++) {
      // Escape leaves a name field for its group, where j goes on.
      if (i > 0) await page.keyboard.press("Escape");
      await page.keyboard.press("j");
    }
    await page.keyboard.type("Gerhard Schroeder");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.textContent("#review-result")).toBe("Assigned to Gerhard Schroeder: 3 template(s)");
    await expect.poll(() => page.$$eval("#review-rows li.group", (els) => els.length)).toBe(2);
    // Selected groups named as one person (here one group): the queue's stand-in for merging.
    const heads = await page.$$eval("#review-rows li.group .group-head", (els) => els.map((e) => e.textContent ?? ""));
    const hugo = heads.findIndex((h) => h.includes("lobby")) + 1;
    const first = await page.$$eval("#review-rows li.group", (els) => els.map((e) => e.getAttribute("data-cluster")));
    const hugoGroup = (await api<{ faces: { id: string }[] }>(desk, "GET", `/v1/review/clusters/${first[hugo - 1]}`)).faces;
    await page.check(`#review-rows li.group:nth-child(${hugo}) input[type=checkbox]`);
    await page.fill("#review-together input", "Hugo Chavez");
    await page.click("#review-together button");
    await expect
      .poll(() => page.textContent("#review-result"))
      .toBe(`Named 1 group(s) as Hugo Chavez: ${hugoGroup.length} template(s)`);
    await expect.poll(() => page.$$eval("#review-rows li.group", (els) => els.length)).toBe(1);
    // The last group, selected and dismissed in bulk.
    await page.check("#review-rows li.group input[type=checkbox]");
    await page.click("#review-dismiss-selected");
    await expect.poll(() => page.textContent("#review-result")).toMatch(/^Dismissed 1 group\(s\), 2 face\(s\)$/);
    await expect.poll(() => page.$$eval("#review-rows li.group", (els) => els.length)).toBe(0);
    expect((await identify(desk, "Gerhard_Schroeder", 4, "door")).faces[0]?.outcome).toBe("match");
    expect(failed).toEqual([]);
  });

  it("Live: a tile per camera with the newest decisions, paused and filtered", async () => {
    const site = (await embedded.keys.create("site", "operator", ["admin"])).key;
    await enrol(site, "John_Stockton");
    const { page, failed } = await at(site, "live");
    await expect.poll(() => page.textContent("#live-result")).toBe("following");
    await identify(site, "John_Stockton", 3, "door");
    await identify(site, "Gerhard_Schroeder", 1, "lobby");
    await expect.poll(() => texts(page, "#live-cameras h3")).toEqual(["door", "lobby"]);
    expect(await page.textContent("#live-door li")).toMatch(/John Stockton \(0\.\d\d\)$/);
    expect(await page.textContent("#live-lobby li")).toMatch(/unknown/);
    // The lobby's stranger went to the review queue with a crop: its tile shows the face; the door's
    // match shows the face John Stockton was enrolled with.
    await expect
      .poll(() => page.$$eval("#live-cameras img", (imgs) => imgs.map((i) => i.getAttribute("alt"))))
      .toEqual(["John Stockton as enrolled", "the newest face at lobby"]);
    await checked(page, "live");
    await page.fill("#live-filter", "lob");
    await expect.poll(() => texts(page, "#live-cameras h3")).toEqual(["lobby"]);
    await page.click("#live-toggle");
    await expect.poll(() => page.textContent("#live-result")).toBe("paused");
    expect(failed).toEqual([]);
  });

  it("Audit: newest first, filtered, paged, as CSV, with the chain's state; a wrong key is refused", async () => {
    // More than a page of entries: forty visitors registered.
    for (let n = 1; n <= 40; n++) await api(key, "POST", "/v1/subjects", { name: `Visitor ${n}` });
    const { page, failed } = await at(key, "audit");
    await expect.poll(() => page.textContent("#audit-result")).toBe("50 entries, newest first, more to load");
    const sequences = (await texts(page, "#audit-rows td:first-child")).map(Number);
    expect(sequences).toEqual([...sequences].sort((a, b) => b - a));
    await page.click("#audit-more");
    await expect.poll(() => page.$$eval("#audit-rows tr", (rows) => rows.length)).toBeGreaterThan(50);
    // Across the page boundary nothing is repeated or skipped: the tenant's sequences, one by one, down.
    const both = (await texts(page, "#audit-rows td:first-child")).map(Number);
    expect(both).toEqual(both.map((_, i) => (both[0] as number) - i));
    await expect.poll(() => page.textContent("#audit-chain")).toMatch(/^Chain: intact, \d+ entries verified$/);
    await page.fill("#audit-operation", "enroll");
    await page.click("#audit-load");
    await expect.poll(async () => [...new Set(await texts(page, "#audit-rows td:nth-child(3)"))]).toEqual(["enroll"]);
    await page.fill("#audit-operation", "");
    await page.fill("#audit-subject", "Colin Powell");
    await page.click("#audit-load");
    await expect.poll(async () => [...new Set(await texts(page, "#audit-rows td:nth-child(5)"))]).toEqual(["Colin Powell"]);
    const download = page.waitForEvent("download");
    await page.click("#audit-csv");
    const csv = readFileSync((await (await download).path()) as string, "utf8")
      .trim()
      .split("\n");
    expect(csv[0]).toBe("sequence,time,operation,decision,subject_id,subject,score,latency_ms,camera,key_id,request_id");
    expect(csv.slice(1).map((line) => line.split(",")[2])).toEqual(
      expect.arrayContaining(["create-subject", "enroll", "identify"]),
    );
    expect(csv.slice(1).every((line) => line.split(",")[5] === "Colin Powell")).toBe(true);
    await checked(page, "audit");

    await page.fill("#key", "frk_0000000000000000_wrongwrongwrongwrongwrongwrongwrongwrongwro");
    await page.dispatchEvent("#key", "change");
    await expect.poll(() => page.textContent("#audit-result")).toMatch(/^401 /);
    expect(failed).toEqual([]);
  });

  it("Settings: the policy with errors at the field, keys, webhooks", async () => {
    const admin = (await embedded.keys.create("settings", "operator", ["admin"])).key;
    const { page, failed } = await at(admin, "settings");
    await page.waitForSelector("#policy-form");
    await page.fill("[id='policy-retention.auditDays']", "0");
    await page.click("#policy-form button[type=submit]");
    await expect.poll(() => page.textContent("[id='policy-retention.auditDays-error']")).toMatch(/auditDays must be/);
    expect(await page.getAttribute("[id='policy-retention.auditDays']", "aria-invalid")).toBe("true");
    await page.fill("[id='policy-retention.auditDays']", "400");
    await page.selectOption("[id='policy-thresholds.targetFmr']", "1e-4");
    await page.click("#policy-form button[type=submit]");
    await expect.poll(() => page.textContent("#policy-result")).toBe("Saved: policy version 1");
    expect(
      (await api<{ policy: { retention: { auditDays: number } } }>(admin, "GET", "/v1/policy")).policy.retention.auditDays,
    ).toBe(400);

    // What the deployment sets: liveness off here (no camera of its own), no MQTT broker.
    expect(await page.textContent("#liveness-status")).toBe("off (from the deployment); no camera has its own");
    expect(await page.textContent("#mqtt-status")).toBe("not configured on this gateway (FACEREC_MQTT_URL)");
    await page.fill("#key-name", "door camera");
    await page.click("#key-form button[type=submit]");
    await expect.poll(() => page.textContent("#keys-result")).toMatch(/^Created door camera: frk_\S+ \(shown once/);
    await expect.poll(() => texts(page, "#keys-rows td:first-child")).toEqual(["operator", "door camera"]);
    // A receiver on an internal address not allowed is refused, and says so.
    await page.fill("#webhook-url", "http://10.0.0.1/hook");
    await page.click("#webhook-form button");
    await expect.poll(() => page.textContent("#webhooks-result")).toMatch(/^400 INVALID_ARGUMENT: url: /);
    // One allowed, then sent a test: the receiver gets it, the page says so, the log shows it.
    const receiver = await httpReceiver();
    try {
      await page.fill("#webhook-url", receiver.url);
      await page.click("#webhook-form button");
      await expect.poll(() => page.textContent("#webhooks-result")).toMatch(/^Added; its signing secret \(shown once\): whsec_/);
      await page.click("#webhooks button >> text=Send a test");
      await expect.poll(() => page.textContent("#webhooks-result")).toBe("Test delivered (HTTP 200)");
      expect(JSON.parse(receiver.requests[0]?.body ?? "{}")).toMatchObject({ type: "test" });
      await page.click("#webhooks button >> text=Delivery log");
      await expect.poll(() => page.textContent("#webhooks .deliveries li")).toMatch(/attempt 1: delivered \(HTTP 200\)$/);
    } finally {
      await receiver.stop();
    }
    await checked(page, "settings");
    expect(failed).toEqual([]);
  });

  it("Notice and the liveness check page: the policy in force and the rates, and a check ready to start", async () => {
    const { page, failed } = await at(key, "notice");
    await expect
      .poll(() => page.textContent("#notice-result"))
      .toMatch(/^Policy version 0, notice version 1; consent not required/);
    expect(await texts(page, "#notice-rates tr td:first-child")).toContain(
      "strangers named as someone enrolled (false positive identification rate): the target the threshold is set for",
    );
    await checked(page, "notice");
    await page.click("nav a >> text=Liveness check");
    await expect.poll(() => texts(page, "#challenge-subject option")).toContain("Colin Powell");
    await checked(page, "check");
    expect(failed).toEqual([]);
  });

  it("every page at a phone's 390 px in the dark theme: nothing wider than the screen, no serious axe finding", async () => {
    const { page, failed } = await at(key, "overview", { width: 390, height: 844 });
    await page.click("#theme");
    for (const name of ["overview", "live", "review", "people", "identify", "audit", "settings", "check", "notice"]) {
      await page.click(`nav a[href="#/${name}"]`);
      await expect.poll(() => page.textContent("#page-title")).not.toBe("");
      // Content that is still loading is not what is checked: wait for the network to settle.
      await page.waitForLoadState("networkidle");
      const wide = await page.evaluate(
        () =>
          (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement
            .scrollWidth,
      );
      expect(wide, `${name} is ${wide} px wide`).toBeLessThanOrEqual(390);
      await checked(page, `${name}-390-dark`);
    }
    expect(failed).toEqual([]);
  });
});
