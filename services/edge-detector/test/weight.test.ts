import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "@facerec/common";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "edge-weight-"));

/**
 * The modules a process loads, as Node's resolver sees them: a module hook records every resolved URL.
 * The process is stopped by a bad setting, which is read only after every static import has loaded.
 */
function modulesLoadedBy(main: string, env: NodeJS.ProcessEnv): string[] {
  const log = join(dir, "loaded.txt");
  writeFileSync(log, "");
  writeFileSync(
    join(dir, "hook.mjs"),
    `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, resolved.url + "\\n");
  return resolved;
}
`,
  );
  writeFileSync(
    join(dir, "register.mjs"),
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hook.mjs")).href)});\n`,
  );
  const run = spawnSync(process.execPath, ["--import", pathToFileURL(join(dir, "register.mjs")).href, main], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(run.stderr).toMatch(/EDGE_FPS=never is not a number/);
  return readFileSync(log, "utf8").split("\n").filter(Boolean);
}

describe("edge detector: a light process", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads no job queue, gallery, notification or privacy code", () => {
    const loaded = modulesLoadedBy(join(repoRoot, "services", "edge-detector", "dist", "main.js"), { EDGE_FPS: "never" });
    // The engine and the bus are what it runs: they must be there, or the hook saw nothing.
    expect(loaded.some((u) => u.includes("/packages/vision/"))).toBe(true);
    expect(loaded.some((u) => u.includes("@nats-io"))).toBe(true);
    const heavy = loaded.filter((u) => /\/(bullmq|ioredis)\/|\/packages\/(gallery|notify|privacy|product|audit)\//.test(u));
    expect(heavy).toEqual([]);
  });
});
