import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
