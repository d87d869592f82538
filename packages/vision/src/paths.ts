import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { repoRoot } from "@facerec/common";

/** `../shared` beside the repository unless FACEREC_SHARED says otherwise. */
export function sharedDir(): string {
  return resolve(process.env.FACEREC_SHARED ?? join(repoRoot, "..", "shared"));
}

/** Where installed model packs live (outside git). */
export function modelCacheDir(): string {
  return resolve(process.env.FACEREC_MODEL_CACHE ?? join(homedir(), ".cache", "facerec", "models"));
}

/** The folder of built-in pack manifests. */
export const packsDir = resolve(fileURLToPath(new URL("../packs", import.meta.url)));
