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

/** The web console at `base` in a new page, signed in with `key`; `failed` collects the page's script errors. */
export async function openConsole(browser: Browser, base: string, key: string): Promise<{ page: Page; failed: string[] }> {
  const page = await browser.newPage();
  const failed: string[] = [];
  page.on("pageerror", (e) => failed.push(e.message));
  await page.goto(`${base}/console/`);
  await page.fill("#key", key);
  await page.dispatchEvent("#key", "change");
  return { page, failed };
}
