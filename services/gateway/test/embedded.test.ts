import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeWithShared, repoRoot } from "@facerec/testkit";
import { expect, it } from "vitest";

const main = join(repoRoot, "services", "gateway", "dist", "main.js");

/** Start the embedded product on a free loopback port; resolve with its URL and everything it printed. */
function start(data: string): Promise<{ child: ChildProcess; url: string; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, FACEREC_DATA: data, PORT: "0", GRPC_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      // `output` keeps growing after start: the getter reads what has been printed so far.
      if (url)
        resolve({
          child,
          url,
          get output() {
            return output;
          },
        });
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("exit", (code) => reject(new Error(`gateway exited with ${code}: ${output}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.on("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

describeWithShared("embedded mode (pnpm start)", () => {
  it("prints an admin key once on first start, serves with it, and stops cleanly on SIGTERM", async () => {
    const data = mkdtempSync(join(tmpdir(), "facerec-start-"));
    const first = await start(data);
    const key = /(frk_[0-9a-f]{16}_[A-Za-z0-9_-]{43})/.exec(first.output)?.[1];
    expect(first.output).toMatch(/gRPC on 127\.0\.0\.1:\d+/);
    expect(key).toBeDefined();
    const listed = await fetch(`${first.url}/v1/subjects`, { headers: { "x-api-key": key as string } });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({ subjects: [] });
    expect(await stop(first.child)).toBe(0);
    const second = await start(data);
    expect(second.output).not.toContain("frk_");
    expect((await fetch(`${second.url}/v1/subjects`, { headers: { "x-api-key": key as string } })).status).toBe(200);
    expect((await fetch(`${second.url}/v1/subjects`, { headers: { "x-api-key": "frk_0123456789abcdef_wrong" } })).status).toBe(
      401,
    );
    expect(await stop(second.child)).toBe(0);
    // Requests are logged as JSON lines with their ids, and no key, right or wrong, ever reaches the log.
    expect(second.output).toMatch(/"reqId":"[0-9a-f-]{36}".*"url":"\/v1\/subjects"/);
    expect(second.output).not.toContain("frk_");
  });
});
