import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Gateway, openGateway } from "@facerec/operations";
import { Database } from "@facerec/storage";
import { describeWithShared } from "@facerec/testkit";
import { postgresServer, type ServerProcess } from "@facerec/testkit/servers";
import { afterAll, beforeAll, expect, it } from "vitest";
import { restCaller, serveOnLoopback } from "./clients.js";

let pg: ServerProcess & { url: string };
let data: string;
let gateway: Gateway;
let base: string;
let close: () => Promise<void>;
let key: string;
const call = restCaller(() => base);

/** Open an SSE match stream; its status once answered (or "aborted" when the client gave up first). */
function stream(signal: AbortSignal): Promise<number | "aborted"> {
  return fetch(`${base}/v1/matches`, { headers: { "x-api-key": key }, signal }).then(
    (r) => r.status,
    () => "aborted" as const,
  );
}

describeWithShared("match streams with PostgreSQL: a client gone while its stream opens frees its slot", () => {
  beforeAll(async () => {
    pg = await postgresServer();
    data = mkdtempSync(join(tmpdir(), "streams-"));
    gateway = await openGateway(data, { limits: { streamsPerKey: 1 }, env: { ...process.env, DATABASE_URL: pg.url } });
    key = (await gateway.keys.create("acme", "console", ["admin"])).key;
    ({ base, close } = await serveOnLoopback(gateway));
    // The tenant's chain gets its head row, which the test then holds.
    expect((await call("POST", "/v1/subjects", key, { name: "someone" })).status).toBe(201);
  });
  afterAll(async () => {
    await close?.();
    await pg?.stop();
    rmSync(data, { recursive: true, force: true });
  });

  it("a stream whose client leaves while its audit entry waits gives its only slot back", async () => {
    // Hold the tenant's audit head, so that opening a stream waits on writing its entry.
    const db = await Database.connect(pg.url, { schema: "none" });
    const holder = await db.pool.connect();
    await holder.query("BEGIN");
    await holder.query("SELECT * FROM audit_heads WHERE tenant = 'acme' FOR UPDATE");
    const gone = new AbortController();
    const first = stream(gone.signal);
    // The stream is being opened (its slot taken, its entry waiting) when its client leaves.
    await new Promise((r) => setTimeout(r, 500));
    gone.abort();
    expect(await first).toBe("aborted");
    await holder.query("COMMIT");
    holder.release();
    await db.close();

    // The key's one slot is free again: a new stream opens.
    const next = new AbortController();
    await expect
      .poll(async () => {
        const status = await stream(AbortSignal.any([next.signal, AbortSignal.timeout(2000)]));
        return status;
      })
      .toBe(200);
    next.abort();
  });
});
