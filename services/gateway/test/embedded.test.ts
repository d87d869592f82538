import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@facerec/common";
import { describeWithShared } from "@facerec/testkit";
import { embeddedGateway as start } from "@facerec/testkit/servers";
import { expect, it } from "vitest";

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
    expect(await first.stop()).toBe(0);
    const second = await start(data);
    expect(second.output).not.toContain("frk_");
    expect((await fetch(`${second.url}/v1/subjects`, { headers: { "x-api-key": key as string } })).status).toBe(200);
    expect((await fetch(`${second.url}/v1/subjects`, { headers: { "x-api-key": "frk_0123456789abcdef_wrong" } })).status).toBe(
      401,
    );
    expect(await second.stop()).toBe(0);
    // Requests are logged as JSON lines with their ids, and no key, right or wrong, ever reaches the log.
    expect(second.output).toMatch(/"reqId":"[0-9a-f-]{36}".*"url":"\/v1\/subjects"/);
    expect(second.output).not.toContain("frk_");
  });
});

describeWithShared("embedded mode: a port already taken", () => {
  it("says which port in one line and exits 1, before any first-start key is printed", async () => {
    const data = mkdtempSync(join(tmpdir(), "facerec-taken-"));
    const holder = createServer().listen(0, "127.0.0.1");
    await once(holder, "listening");
    const taken = (holder.address() as AddressInfo).port;
    try {
      const gateway = spawn(process.execPath, [join(repoRoot, "services", "gateway", "dist", "main.js")], {
        env: { ...process.env, FACEREC_DATA: data, PORT: "0", GRPC_PORT: "0", OPS_PORT: String(taken) },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      gateway.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      gateway.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const [code] = await once(gateway, "exit");
      expect(code).toBe(1);
      expect(stderr).toContain(
        `facerec gateway: the ops port ${taken} is already in use; stop what holds it or choose another (PORT, GRPC_PORT, OPS_PORT)`,
      );
      // No stack trace: the operator reads one line.
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(stdout).not.toContain("frk_");
    } finally {
      holder.close();
      rmSync(data, { recursive: true, force: true });
    }
  });
});
