import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, found from this file's place in packages/testkit/dist. */
export const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/** A path under ../shared, or under FACEREC_SHARED when set (the same rule the product uses). */
export function shared(...parts: string[]): string {
  return join(resolve(process.env.FACEREC_SHARED ?? join(repoRoot, "..", "shared")), ...parts);
}

export function sharedBytes(...parts: string[]): Buffer {
  return readFileSync(shared(...parts));
}

export const LFW = (name: string, n: number): string =>
  shared("data", "lfw", "lfw-deepfunneled", name, `${name}_${String(n).padStart(4, "0")}.jpg`);
