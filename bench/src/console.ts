/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The console under an operator's load, in headless Chromium (Debian `chromium`, or CHROMIUM_PATH):
 *
 * - every page with `people` people enrolled, `faces` queued review faces (strangers seen five times
 *   each, real LFW embeddings perturbed as in review.js; the newest 1,000 with a 112x112 crop) and
 *   1,000 camera decisions in the audit trail: the time from navigating to a page (as its link does)
 *   to its content on screen, and for Review also to its crops; the slowest page is the figure;
 * - the live feed at 10 cameras: decisions published at a rising rate for a fixed time each, and what
 *   the page shows: the share of decisions drawn, the delay from publishing to on screen (p50, p99),
 *   the page's DOM size and JS heap at the end (bounded: 8 rows a camera).
 *
 * Bounded: every step has a fixed count or duration and the run stops by itself.
 *
 *   node bench/dist/console.js [--quick] [--json]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MatchEvent } from "@facerec/contracts";
import { buildApp } from "@facerec/gateway";
import { LocalMatchFeed, openGateway } from "@facerec/operations";
import { LFW } from "@facerec/testkit/paths";
import { chromium, type Page } from "playwright-core";
import sharp from "sharp";
import { percentile, table } from "./timing.js";
import { lfwPeople, noiseSource, perturb } from "./vectors.js";

const quick = process.argv.includes("--quick");
const asJson = process.argv.includes("--json");
const people = quick ? 2000 : 10_000;
const faces = quick ? 2000 : 10_000;
const DECISIONS = 1000;
const CAMERAS = 10;
/** Decisions a second across all cameras, each rate held for `seconds`. */
const rates = quick ? [10, 100] : [10, 100, 500];
const seconds = quick ? 3 : 5;

/** Each page, and what says its content is on screen (run in the page). */
const PAGES: [string, string][] = [
  [
    "overview",
    "/of the newest/.test(document.getElementById('overview-count')?.textContent ?? '') && !/loading/.test(document.getElementById('status-result')?.textContent ?? '')",
  ],
  ["live", "document.getElementById('live-result')?.textContent === 'following'"],
  ["review", "document.querySelectorAll('#review-rows li.group').length > 0"],
  ["people", "document.querySelectorAll('#subjects li').length > 0"],
  ["identify", "!!document.getElementById('identify-form')"],
  ["audit", "document.querySelectorAll('#audit-rows tr').length > 0"],
  ["settings", "!!document.getElementById('policy-form') && document.querySelectorAll('#keys-rows tr').length > 0"],
  ["notice", "document.querySelectorAll('#notice-rates tr').length > 0"],
  ["check", "document.querySelectorAll('#challenge-subject option').length > 1"],
];

/** Milliseconds from `act` to `ready` holding in the page. */
async function timed(page: Page, act: () => Promise<unknown>, ready: string): Promise<number> {
  const started = performance.now();
  await act();
  await page.waitForFunction(ready, undefined, { timeout: 60_000, polling: "raf" });
  return performance.now() - started;
}

interface LiveRow {
  rate: number;
  published: number;
  shown: number;
  lag_p50_ms: number;
  lag_p99_ms: number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-console-"));
  const feed = new LocalMatchFeed();
  const gateway = await openGateway(dir, {
    feed,
    limits: { ratePerMinute: 0 },
    env: { ...process.env, FACEREC_REVIEW: "all" },
  });
  const key = (await gateway.keys.create("bench", "operator", ["admin"])).key;
  const principal = await gateway.keys.authenticate(key);

  // The gallery: people registered through the API's own operation (audited, one transaction each).
  const fillStarted = performance.now();
  for (let i = 0; i < people; i++) await gateway.recognition.createSubject(principal, `Person ${i}`, {});
  const peopleSeconds = (performance.now() - fillStarted) / 1000;

  // The queue: strangers seen five times each, arriving mixed, the newest 1,000 faces with a crop.
  const identities = await lfwPeople(faces / 5);
  const gauss = noiseSource(20261202);
  const crop = await sharp(LFW("Gerhard_Schroeder", 1)).resize(112, 112).png().toBuffer();
  const queueStarted = performance.now();
  for (let i = 0; i < faces; i++) {
    await gateway.state.review.add({
      id: `f${i}`,
      tenant: "bench",
      camera: `cam${i % CAMERAS}`,
      model: gateway.engine.embedder.id,
      time: new Date(Date.UTC(2026, 11, 1) + i * 1000).toISOString(),
      vector: perturb(identities[i % identities.length] as Float32Array, 0.9, gauss),
      quality: 1,
      outcome: "unknown",
      candidates: [],
      ...(i >= faces - 1000 ? { crop } : {}),
    });
  }
  const queueSeconds = (performance.now() - queueStarted) / 1000;
  // The cameras' decisions the overview charts: a page of them, as the matcher writes them.
  for (let i = 0; i < DECISIONS; i++) {
    const match = i % 3 === 0;
    await gateway.audit.append({
      tenant: "bench",
      keyId: `camera:cam${i % CAMERAS}`,
      operation: "match",
      decision: match ? "match" : "unknown",
      scores: [match ? 0.55 + (i % 40) / 100 : 0.1 + (i % 25) / 100],
      latencyMs: 5 + (i % 30),
      requestId: `d${i}`,
      camera: `cam${i % CAMERAS}`,
      ...(match ? { subjectId: "s0" } : {}),
    });
  }

  const app = await buildApp(gateway.recognition, gateway.audit);
  const base = await app.listen({ host: "127.0.0.1", port: 0 });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--enable-precise-memory-info"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Cold: the app's first load, the key typed, the overview drawn (the people list read with it).
    await page.goto(`${base}/console/#/overview`);
    const coldMs = await timed(
      page,
      async () => {
        await page.fill("#key", key);
        await page.dispatchEvent("#key", "change");
      },
      PAGES[0]?.[1] as string,
    );
    // Each page as its link opens it; twice, the better of the two (the first pays for the code's warm-up).
    const pages: Record<string, number> = {};
    const firstVisit: Record<string, number> = {};
    for (let round = 0; round < 2; round++) {
      for (const [name, ready] of PAGES) {
        // From another page (a cheap one), so that the page is built afresh as a link would build it.
        const rest = name === "identify" ? "check" : "identify";
        await page.evaluate((to) => (location.hash = to), `#/${rest}`);
        await page.waitForFunction(PAGES.find(([n]) => n === rest)?.[1] as string);
        const ms = await timed(page, () => page.evaluate((to) => (location.hash = to), `#/${name}`), ready);
        pages[name] = Math.min(pages[name] ?? Number.POSITIVE_INFINITY, ms);
        if (round === 0) firstVisit[name] = ms;
      }
    }
    // A person's page from the grid, and a search over everyone.
    await page.evaluate(() => (location.hash = "#/people"));
    await page.waitForFunction(PAGES[3]?.[1] as string);
    pages.person = await timed(page, () => page.click("#subjects li a"), "!!document.getElementById('subject-facts')");
    await page.evaluate(() => (location.hash = "#/people"));
    await page.waitForFunction(PAGES[3]?.[1] as string);
    const searchMs = await timed(
      page,
      () => page.fill("#people-search", `Person ${people - 1}`),
      "document.querySelectorAll('#subjects li').length === 1",
    );
    // Review: its groups' faces as well (each group reads its faces, then up to three crops where kept).
    await page.evaluate(() => (location.hash = "#/overview"));
    await page.waitForFunction(PAGES[0]?.[1] as string);
    const cropsMs = await timed(
      page,
      () => page.evaluate(() => (location.hash = "#/review")),
      "[...document.querySelectorAll('#review-rows li.group')].every((g) => g.querySelector('figure')) && document.querySelectorAll('#review-rows li.group').length > 0 && [...document.querySelectorAll('#review-rows img')].every((i) => i.complete)",
    );
    const groups = await page.$$eval("#review-rows li.group", (els) => els.length);
    const crops = await page.$$eval("#review-rows img", (els) => els.length);
    const total = await page.textContent("#review-result");
    const slowest = Object.entries(pages).sort((a, b) => b[1] - a[1])[0] as [string, number];
    const slowestFirst = Object.entries(firstVisit).sort((a, b) => b[1] - a[1])[0] as [string, number];

    // The live feed: the page notes when each decision's row appears, by the decision's number.
    await page.evaluate(() => {
      const seen: [number, number][] = [];
      (globalThis as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver((records) => {
        const at = Date.now();
        for (const r of records)
          for (const n of r.addedNodes) {
            // A camera's first row arrives inside its new tile: the rows themselves, however added.
            const rows = n.nodeName === "LI" ? [n as Element] : n instanceof Element ? [...n.querySelectorAll("li")] : [];
            for (const row of rows) {
              const m = /d(\d+)\b/.exec(row.textContent ?? "");
              if (m) seen.push([Number(m[1]), at]);
            }
          }
      }).observe(document.getElementById("main") as Node, { childList: true, subtree: true });
    });
    await page.evaluate(() => (location.hash = "#/live"));
    await page.waitForFunction(PAGES[1]?.[1] as string);
    const live: LiveRow[] = [];
    let n = 0;
    for (const rate of rates) {
      const publishedAt = new Map<number, number>();
      const first = n;
      const count = rate * seconds;
      const begin = Date.now();
      for (let k = 0; k < count; k++) {
        // Paced against the clock: decision k goes out at begin + k / rate seconds.
        const due = begin + (k * 1000) / rate;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const id = n++;
        publishedAt.set(id, Date.now());
        feed.publish(
          MatchEvent.fromPartial({
            cropId: `c${id}`,
            tenant: "bench",
            camera: `cam${id % CAMERAS}`,
            outcome: "match",
            subjectId: `s${id % 50}`,
            subjectName: `d${id}`,
            score: 0.6,
            threshold: 0.3,
            frameTime: new Date(),
            decidedAt: new Date(),
          }),
        );
      }
      // A second for the last ones to arrive, then what the page saw of this step.
      await new Promise((r) => setTimeout(r, 1000));
      const seen = (await page.evaluate(() => (globalThis as unknown as { seen: [number, number][] }).seen.splice(0))).filter(
        ([id]) => id >= first,
      );
      const lags = seen.map(([id, at]) => at - (publishedAt.get(id) ?? at));
      live.push({
        rate,
        published: count,
        shown: seen.length,
        lag_p50_ms: percentile(lags, 50),
        lag_p99_ms: percentile(lags, 99),
      });
    }
    const endState = await page.evaluate(() => ({
      rows: document.querySelectorAll("#live-cameras li").length,
      nodes: document.getElementsByTagName("*").length,
      heapMB: ((performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0) / 2 ** 20,
    }));

    const result = {
      people,
      faces,
      decisions: DECISIONS,
      fill_seconds: { people: peopleSeconds, queue: queueSeconds },
      cold_ms: coldMs,
      pages_ms: pages,
      slowest_page: slowest[0],
      slowest_page_ms: slowest[1],
      first_visit_ms: firstVisit,
      slowest_first_visit_ms: slowestFirst[1],
      people_search_ms: searchMs,
      review: { total, groups_shown: groups, crops_shown: crops, crops_ms: cropsMs },
      live,
      end: endState,
    };
    if (asJson) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    process.stdout.write(
      `Console in headless Chromium: ${people} people (registered in ${peopleSeconds.toFixed(0)} s), ${faces} queued faces (${queueSeconds.toFixed(0)} s; ${total}), ${DECISIONS} camera decisions.\n` +
        `First load to the overview drawn: ${coldMs.toFixed(0)} ms. Each page from its link to its content on screen (first visit, and the better of two):\n`,
    );
    process.stdout.write(
      table(
        ["page", "first ms", "best ms"],
        Object.entries(pages).map(([name, ms]) => [name, (firstVisit[name] ?? ms).toFixed(0), ms.toFixed(0)]),
      ),
    );
    process.stdout.write(
      `\nSlowest page: ${slowest[0]} ${slowest[1].toFixed(0)} ms (first visits: ${slowestFirst[0]} ${slowestFirst[1].toFixed(0)} ms). Search over ${people} people: ${searchMs.toFixed(0)} ms. Review's ${groups} groups with their faces (${crops} crops) loaded: ${cropsMs.toFixed(0)} ms\n\n`,
    );
    process.stdout.write(`Live feed, ${CAMERAS} cameras, each rate held ${seconds} s:\n`);
    process.stdout.write(
      table(
        ["decisions/s", "published", "drawn", "lag p50 ms", "lag p99 ms"],
        live.map((r) => [r.rate, r.published, r.shown, r.lag_p50_ms.toFixed(0), r.lag_p99_ms.toFixed(0)]),
      ),
    );
    process.stdout.write(
      `\nAt the end: ${endState.rows} live rows (at most 8 a camera), ${endState.nodes} DOM elements, JS heap ${endState.heapMB.toFixed(1)} MB\n`,
    );
  } finally {
    await browser.close();
    await app.close();
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
