#!/usr/bin/env node
// Writes the TypeScript types of the gateway's OpenAPI document (openapi-typescript) to
// packages/client/src/schema.d.ts, the types of the TypeScript SDK (@facerec/client). `pnpm
// openapi:types` (from the repository root) rewrites it; the gateway's OpenAPI test fails when it is
// out of date.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "packages", "client", "src", "schema.d.ts");

/** The document as the gateway serves it, rendered to the types file's text. */
export async function openapiTypes(document) {
  const { default: openapiTS, astToString } = await import("openapi-typescript");
  const header = "// Generated from the gateway's OpenAPI document by scripts/openapi-types.mjs; do not edit.\n";
  return header + astToString(await openapiTS(document));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { buildApp } = await import("../dist/index.js");
  const { openGateway } = await import("@facerec/operations");
  const data = mkdtempSync(join(tmpdir(), "openapi-"));
  const gateway = await openGateway(data);
  const app = await buildApp(gateway.recognition, gateway.audit);
  await app.ready();
  writeFileSync(out, await openapiTypes(app.swagger()));
  await app.close();
  await gateway.close();
  rmSync(data, { recursive: true, force: true });
  process.stdout.write(`wrote ${out}\n`);
}
