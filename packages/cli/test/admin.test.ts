import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileAuditTrail } from "@facerec/audit";
import { ApiKeyStore, FileKeyStore } from "@facerec/auth";
import { Database, FolderLock, RecordLog, SchemaBehindError } from "@facerec/storage";
import { facerec, facerecWith } from "@facerec/testkit";
import { createDatabase, postgresServer } from "@facerec/testkit/servers";
import { describe, expect, it } from "vitest";

describe("facerec keys and audit", () => {
  it("creates a key that authenticates, lists it without secrets, and revokes it", async () => {
    const data = mkdtempSync(join(tmpdir(), "facerec-data-"));
    const created = JSON.parse(
      (await facerec("keys", "create", "--tenant", "acme", "--scopes", "enrol,recognise", "--name", "kiosk", "--data", data))
        .stdout,
    );
    const store = await ApiKeyStore.open(FileKeyStore.open(join(data, "keys")));
    expect(await store.authenticate(created.key)).toMatchObject({ tenant: "acme", scopes: ["enrol", "recognise"] });
    await store.close();
    const listed = (await facerec("keys", "list", "--tenant", "acme", "--data", data)).stdout;
    expect(listed).toContain("kiosk");
    // The secret is everything after the 16-hex id; base64url may itself hold "_" or "-".
    expect(listed).not.toContain(created.key.slice("frk_0123456789abcdef_".length));
    expect((await facerec("keys", "list", "--tenant", "globex", "--data", data)).stdout).not.toContain("kiosk");
    await facerec("keys", "revoke", "--tenant", "acme", "--id", created.id, "--data", data);
    const reopened = await ApiKeyStore.open(FileKeyStore.open(join(data, "keys")));
    await expect(reopened.authenticate(created.key)).rejects.toThrow("invalid or missing API key");
    // Both changes are audited in the tenant's trail, under the operator's login on the host.
    const trail = FileAuditTrail.open(join(data, "audit"));
    const entries = (await trail.query({ tenant: "acme" })).entries;
    await trail.close();
    expect(entries.map((e) => [e.operation, e.decision])).toEqual([
      ["create-key", `created ${created.id}`],
      ["revoke-key", `revoked ${created.id}`],
    ]);
    expect(entries[0]?.keyId).toMatch(/^cli:/);
    const bad = await facerec("keys", "create", "--tenant", "acme", "--scopes", "root", "--data", data);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/--scopes takes a comma-separated list/);
  });

  it("keys and repair are refused while a process holds the data folder; repair then keeps what verifies of policy.log", async () => {
    const data = mkdtempSync(join(tmpdir(), "facerec-data-"));
    mkdirSync(join(data, "policy"));
    const path = join(data, "policy", "policy.log");
    const { log } = RecordLog.open(path, () => {});
    log.append([Buffer.from('{"version":1}')]);
    log.append([Buffer.from('{"version":2}')]);
    log.close();
    // The last record, whole, with a bit changed: the product refuses to start over it.
    const bytes = readFileSync(path);
    bytes[bytes.lastIndexOf("2")] = "3".charCodeAt(0);
    writeFileSync(path, bytes);
    const lock = FolderLock.acquire(data);
    for (const refused of [
      await facerec("repair", "--data", data),
      await facerec("keys", "list", "--tenant", "t", "--data", data),
    ]) {
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`facerec: the data folder ${data} is in use by process ${process.pid}`);
    }
    lock.release();
    const repaired = await facerec("repair", "--data", data);
    expect(repaired.code).toBe(0);
    expect(JSON.parse(repaired.stdout)).toMatchObject({ repaired: 1, logs: [{ file: path, state: "repaired", kept: 1 }] });
    expect(RecordLog.salvage(path).records.map(String)).toEqual(['{"version":1}']);
  });

  it("audit verify checks every tenant's chain, exits 1 and says why when the trail was edited", async () => {
    const data = mkdtempSync(join(tmpdir(), "facerec-data-"));
    const audit = FileAuditTrail.open(join(data, "audit"));
    for (const decision of ["match", "unknown", "rejected-spoof"]) {
      await audit.append({ tenant: "acme", keyId: "k", operation: "identify", decision, requestId: decision });
    }
    await audit.append({ tenant: "globex", keyId: "k", operation: "identify", decision: "match", requestId: "g" });
    await audit.close();
    const ok = await facerec("audit", "verify", "--data", data);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({
      intact: true,
      tenants: [
        { tenant: "acme", intact: true, entries: 3 },
        { tenant: "globex", intact: true, entries: 1 },
      ],
    });
    const log = join(data, "audit", "audit.log");
    const bytes = readFileSync(log);
    bytes.write("match!!", bytes.indexOf("unknown"));
    writeFileSync(log, bytes);
    const broken = await facerec("audit", "verify", "--data", data);
    expect(broken.code).toBe(1);
    // The log stops being readable at the edited entry: every tenant's chain is reported as broken there.
    expect(JSON.parse(broken.stdout)).toMatchObject({
      intact: false,
      tenants: [
        { tenant: "acme", intact: false, entries: 1, reason: expect.stringMatching(/audit\.log is damaged at byte \d+/) },
        { tenant: "globex", intact: false, entries: 0 },
      ],
    });
    expect(readFileSync(log).equals(bytes)).toBe(true);
  });
});

describe("facerec db", () => {
  it("migrates a fresh database once; a process that only checks refuses the old schema, then accepts it", async () => {
    const pg = await postgresServer();
    try {
      const url = createDatabase(pg.url);
      const status = await facerecWith({ DATABASE_URL: url }, "db", "status");
      const { pending } = JSON.parse(status.stdout) as { pending: string[] };
      expect(pending.length).toBeGreaterThan(0);
      await expect(Database.connect(url, { schema: "check" })).rejects.toBeInstanceOf(SchemaBehindError);
      const first = await facerecWith({ DATABASE_URL: url }, "db", "migrate");
      expect(JSON.parse(first.stdout)).toEqual({ applied: pending, pending: [] });
      const again = await facerecWith({ DATABASE_URL: url }, "db", "migrate");
      expect(JSON.parse(again.stdout)).toEqual({ applied: [], pending: [] });
      const db = await Database.connect(url, { schema: "check" });
      expect((await db.query("SELECT count(*)::int AS n FROM subjects")).rows[0]).toEqual({ n: 0 });
      await db.close();
      const unset = await facerecWith({ DATABASE_URL: "" }, "db", "migrate");
      expect(unset.code).toBe(64);
      expect(unset.stderr).toMatch(/DATABASE_URL/);
    } finally {
      await pg.stop();
    }
  });
});
