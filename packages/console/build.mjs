#!/usr/bin/env node
// Bundles the console (src/main.tsx with Preact and the SDK) into dist/, beside its page and styles.
// esbuild rather than a dev server: the gateway serves the output, and nothing is fetched at run time.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = dirname(fileURLToPath(import.meta.url));
const out = join(root, "dist");
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
await build({
  entryPoints: [join(root, "src", "main.tsx")],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  jsx: "automatic",
  jsxImportSource: "preact",
  outfile: join(out, "console.js"),
  logLevel: "warning",
});
for (const file of ["index.html", "console.css"]) copyFileSync(join(root, "src", file), join(out, file));
