import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@facerec/common";
import { describe, expect, it } from "vitest";

describe("pnpm stack start", () => {
  it("refuses to start, naming the port, when something already listens on one of the stack's ports", async () => {
    // A stranger on the stack's PostgreSQL port: before, it answered for the stack's own and was used.
    // (Already taken by something else here, the port is just as much in use.)
    const stranger = createServer();
    await new Promise<void>((resolve) => {
      stranger.once("error", () => resolve());
      stranger.listen(15432, "127.0.0.1", () => resolve());
    });
    const data = mkdtempSync(join(tmpdir(), "stack-"));
    try {
      const run = spawnSync(process.execPath, [join(repoRoot, "scripts", "stack.mjs"), "start"], {
        env: { ...process.env, FACEREC_DATA: data },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/15432.* on 127\.0\.0\.1 already in use: stop what listens there first/);
    } finally {
      if (stranger.listening) stranger.close();
      rmSync(data, { recursive: true, force: true });
    }
  });
});
