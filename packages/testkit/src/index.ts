import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe } from "vitest";

/** The repository root, found from this file's place in packages/testkit/dist. */
export const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/** A path under ../shared, or under FACEREC_SHARED when set (the same rule the product uses). */
export function shared(...parts: string[]): string {
  return join(resolve(process.env.FACEREC_SHARED ?? join(repoRoot, "..", "shared")), ...parts);
}

export function sharedBytes(...parts: string[]): Buffer {
  return readFileSync(shared(...parts));
}

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

export const LFW = (name: string, n: number): string =>
  shared("data", "lfw", "lfw-deepfunneled", name, `${name}_${String(n).padStart(4, "0")}.jpg`);
