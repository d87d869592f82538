/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The console under an operator's load, in headless Chromium (Debian `chromium`, or CHROMIUM_PATH):
 *
 * - the review queue at `faces` queued faces (strangers seen five times each, real LFW embeddings
 *   perturbed as in review.js; the newest 1,000 with a 112x112 crop): the time from "Load" to the first
 *   page of groups on screen, and from opening the newest group to its crops shown;
 * - the live feed at 10 cameras: decisions published at a rising rate for a fixed time each, and what
 *   the page shows: the share of decisions drawn, the delay from publishing to on screen (p50, p99),
 *   the page's DOM size and JS heap at the end (bounded: 20 rows a camera).
 *
 * Bounded: every step has a fixed count or duration and the run stops by itself.
 *
 *   node bench/dist/console.js [--quick] [--json]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MatchEvent } from "@facerec/contracts";
import { buildApp } from "@facerec/gateway";
import { LocalMatchFeed, openGateway } from "@facerec/operations";
import { LFW } from "@facerec/testkit/paths";
import { chromium } from "playwright-core";
import sharp from "sharp";
import { percentile, table } from "./timing.js";
import { lfwPeople, noiseSource, perturb } from "./vectors.js";

const quick = process.argv.includes("--quick");
const asJson = process.argv.includes("--json");
const faces = quick ? 2000 : 10_000;
const CAMERAS = 10;
/** Decisions a second across all cameras, each rate held for `seconds`. */
const rates = quick ? [10, 100] : [10, 100, 500];
const seconds = quick ? 3 : 5;

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

  // The queue: people seen five times each, arriving mixed, the newest 1,000 faces with a crop.
  const identities = await lfwPeople(faces / 5);
  const gauss = noiseSource(20261202);
  const crop = await sharp(LFW("Gerhard_Schroeder", 1)).resize(112, 112).png().toBuffer();
  const fillStarted = performance.now();
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
  const fillSeconds = (performance.now() - fillStarted) / 1000;

  const app = await buildApp(gateway.recognition, gateway.audit);
  const base = await app.listen({ host: "127.0.0.1", port: 0 });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--enable-precise-memory-info"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${base}/console/`);
    await page.fill("#key", key);
    await page.dispatchEvent("#key", "change");

    // The review queue: the first page of groups, then the newest group's crops.
    let started = performance.now();
    await page.click("#review-load");
    await page.waitForFunction(() => document.querySelectorAll("#review-rows tr").length > 0);
    const reviewLoadMs = performance.now() - started;
    const groupsShown = await page.$$eval("#review-rows tr", (rows) => rows.length);
    const total = await page.textContent("#review-result");
    started = performance.now();
    await page.click("#review-rows button.link");
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll("#review-rows tr.faces img")] as unknown as { complete: boolean }[];
      return imgs.length > 0 && imgs.every((i) => i.complete);
    });
    const groupOpenMs = performance.now() - started;
    const cropsShown = await page.$$eval("#review-rows tr.faces img", (imgs) => imgs.length);

    // The live feed: the page notes when each decision's row appears, by the decision's number.
    await page.evaluate(() => {
      const seen: [number, number][] = [];
      (globalThis as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver((records) => {
        const at = Date.now();
        for (const r of records)
          for (const n of r.addedNodes) {
            // A camera's first row arrives inside its new box too: only the rows themselves count.
            if (n.nodeName !== "LI") continue;
            const m = /d(\d+)\b/.exec(n.textContent ?? "");
            if (m) seen.push([Number(m[1]), at]);
          }
      }).observe(document.getElementById("live-cameras") as Node, { childList: true, subtree: true });
    });
    await page.click("#live-toggle");
    await page.waitForFunction(() => document.getElementById("live-result")?.textContent === "following");
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
      faces,
      fill_seconds: fillSeconds,
      review: { load_ms: reviewLoadMs, groups_shown: groupsShown, total, group_open_ms: groupOpenMs, crops_shown: cropsShown },
      live,
      end: endState,
    };
    if (asJson) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    process.stdout.write(
      `Console in headless Chromium. Review queue of ${faces} faces (filled in ${fillSeconds.toFixed(0)} s): ${total}; first ${groupsShown} groups on screen ${reviewLoadMs.toFixed(0)} ms after Load; the newest group's ${cropsShown} crop(s) ${groupOpenMs.toFixed(0)} ms after opening it\n`,
    );
    process.stdout.write(`Live feed, ${CAMERAS} cameras, each rate held ${seconds} s:\n`);
    process.stdout.write(
      table(
        ["decisions/s", "published", "drawn", "lag p50 ms", "lag p99 ms"],
        live.map((r) => [r.rate, r.published, r.shown, r.lag_p50_ms.toFixed(0), r.lag_p99_ms.toFixed(0)]),
      ),
    );
    process.stdout.write(
      `\nAt the end: ${endState.rows} live rows (at most 20 a camera), ${endState.nodes} DOM elements, JS heap ${endState.heapMB.toFixed(1)} MB\n`,
    );
  } finally {
    await browser.close();
    await app.close();
    await gateway.close();
  }
}

await main();
