import { existsSync } from "node:fs";
import { describe } from "vitest";
import { shared } from "./paths.js";

export { cli, facerec, facerecWith } from "./cli.js";
export { gaussianNoise } from "./noise.js";
export { LFW, repoRoot, shared, sharedBytes } from "./paths.js";
export { pngBomb } from "./png-bomb.js";

const warned = new Set<string>();

/**
 * `describe` for suites that read ../shared: where it is absent the suite is skipped and one line says why.
 * Nothing else in the test suite skips.
 */
export function describeWithShared(name: string, fn: () => void, needs: string[] = ["data"]): void {
  const missing = needs.map((n) => shared(n)).find((p) => !existsSync(p));
  if (missing && !warned.has(missing)) {
    warned.add(missing);
    console.warn(`skipping suites that need ${missing}: it does not exist (set FACEREC_SHARED to the shared folder)`);
  }
  (missing ? describe.skip : describe)(name, fn);
}
