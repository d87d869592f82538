/**
 * `pnpm bench [--quick] [--json]`: every benchmark in turn, each in its own process so that one's
 * memory and threads do not disturb the next.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const benches = ["embedder.js", "index-search.js", "gateway.js", "pipeline.js"];
let failed = false;
for (const bench of benches) {
  const script = fileURLToPath(new URL(bench, import.meta.url));
  process.stdout.write(`\n== ${bench.replace(/\.js$/, "")}\n`);
  const result = spawnSync(process.execPath, [script, ...process.argv.slice(2)], { stdio: "inherit" });
  failed ||= result.status !== 0;
}
process.exitCode = failed ? 1 : 0;
