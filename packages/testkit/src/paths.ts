import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { basename, join, resolve } from "node:path";
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

/**
 * Every `every`-th crop of a NUAA list (`real_train.txt`, `spoof_train.txt`), linked into `dir` as a
 * deployment lays out its own shots for `facerec calibrate liveness`; returns `dir`.
 */
export function nuaaShots(dir: string, list: string, every: number): string {
  mkdirSync(dir, { recursive: true });
  const lines = readFileSync(shared("data", "nuaa", "splits", list), "utf8")
    .trim()
    .split(/\r?\n/);
  for (const line of lines.filter((_, i) => i % every === 0)) {
    const path = shared("data", "nuaa", "Detectedface", line.trim());
    symlinkSync(path, join(dir, basename(path)));
  }
  return dir;
}
