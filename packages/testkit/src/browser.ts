import axe, { type AxeResults } from "axe-core";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's chromium, installed by .ci/run (CHROMIUM_PATH moves it). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Headless Chromium kept off the (closed) network and sandbox-free as root, with any further flags. */
export function launchChromium(args: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      ...args,
    ],
  });
}

/**
 * The web console at `base` in a new page, signed in with `key`, on one of its pages (`overview`,
 * `review`, `people/<id>`...); `failed` collects the page's script errors.
 */
export async function openConsole(
  browser: Browser,
  base: string,
  key: string,
  at = "overview",
  viewport = { width: 1280, height: 900 },
): Promise<{ page: Page; failed: string[] }> {
  const page = await browser.newPage({ viewport });
  const failed: string[] = [];
  page.on("pageerror", (e) => failed.push(e.message));
  await page.goto(`${base}/console/#/${at}`);
  await page.fill("#key", key);
  await page.dispatchEvent("#key", "change");
  return { page, failed };
}

/** What axe-core finds on the page as it stands, serious and critical only: `rule: target, target` a line. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated over the DevTools protocol, which a page's content policy does not govern (a script tag
  // would be refused by the console's, as any injected script should be).
  await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    // Runs in the page, where axe-core's script put `axe` on window.
    const run = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<AxeResults> } }).axe;
    const results = await run.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ["violations"] });
    return results.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(" ")) }));
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.targets.slice(0, 5).join(", ")}`);
}
