import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, found from this file's place in packages/common/{src,dist}. */
export const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
