#!/usr/bin/env node
// Renders the Helm chart into plain manifests for users without Helm: infra/k8s/<profile>.yaml for
// each profile. The bootstrap admin key, PostgreSQL's credentials and the webhook key are expected in
// Secrets the operator creates (facerec-bootstrap-admin with key admin-key; facerec-postgres with keys
// url and, for the in-chart server, password; facerec-webhook-key with key key, 32 random bytes in
// base64; facerec-edge-push-key with key push-key, the edge detectors' push key), so no secret is
// written here. `pnpm render:k8s` rewrites the files;
// the chart tests fail when they are out of date.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const chart = join(root, "infra", "helm", "facerec");
export const PROFILES = ["cloud", "edge", "dev"];

export function render(helm, profile) {
  const args = ["template", "facerec", chart, "--namespace", "facerec", "-f", join(chart, `values-${profile}.yaml`)];
  args.push("--set", "edgeDetector.pushKeySecret=facerec-edge-push-key");
  if (profile !== "edge") {
    args.push(
      "--set",
      "gateway.bootstrapSecret=facerec-bootstrap-admin",
      "--set",
      "postgres.secret=facerec-postgres",
      "--set",
      "webhooks.keySecret=facerec-webhook-key",
    );
  }
  const header = `# Rendered from infra/helm/facerec with values-${profile}.yaml by scripts/render-k8s.mjs; do not edit.\n`;
  return header + execFileSync(helm, args, { encoding: "utf8" });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const helm = execFileSync(process.execPath, [join(root, "scripts", "install-helm.mjs")], { encoding: "utf8" }).trim();
  for (const profile of PROFILES) {
    const out = join(root, "infra", "k8s", `${profile}.yaml`);
    writeFileSync(out, render(helm, profile));
    process.stdout.write(`wrote ${out}\n`);
  }
}
