import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "@facerec/audit";
import { ApiKeyStore } from "@facerec/auth";
import { describe, expect, it } from "vitest";
import { facerec } from "./run-cli.js";

describe("facerec keys and audit", () => {
  it("creates a key that authenticates, lists it without secrets, and revokes it", async () => {
    const data = mkdtempSync(join(tmpdir(), "facerec-data-"));
    const created = JSON.parse(
      (await facerec("keys", "create", "--tenant", "acme", "--scopes", "enrol,recognise", "--name", "kiosk", "--data", data))
        .stdout,
    );
    const store = ApiKeyStore.open(join(data, "keys"));
    expect(store.authenticate(created.key)).toMatchObject({ tenant: "acme", scopes: ["enrol", "recognise"] });
    store.close();
    const listed = (await facerec("keys", "list", "--tenant", "acme", "--data", data)).stdout;
    expect(listed).toContain("kiosk");
    expect(listed).not.toContain(created.key.split("_")[2]);
    expect((await facerec("keys", "list", "--tenant", "globex", "--data", data)).stdout).not.toContain("kiosk");
    await facerec("keys", "revoke", "--tenant", "acme", "--id", created.id, "--data", data);
    expect(() => ApiKeyStore.open(join(data, "keys")).authenticate(created.key)).toThrow("invalid or missing API key");
    const bad = await facerec("keys", "create", "--tenant", "acme", "--scopes", "root", "--data", data);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/--scopes takes a comma-separated list/);
  });

  it("audit verify exits 1 and says why when the trail was edited", async () => {
    const data = mkdtempSync(join(tmpdir(), "facerec-data-"));
    const audit = AuditLog.open(join(data, "audit"));
    for (const decision of ["match", "unknown", "rejected-spoof"]) {
      audit.append({ tenant: "acme", keyId: "k", operation: "identify", decision, requestId: decision });
    }
    audit.close();
    const ok = await facerec("audit", "verify", "--data", data);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ intact: true, entries: 3 });
    const log = join(data, "audit", "audit.log");
    const bytes = readFileSync(log);
    bytes.write("match!!", bytes.indexOf("unknown"));
    writeFileSync(log, bytes);
    const broken = await facerec("audit", "verify", "--data", data);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({
      intact: false,
      reason: expect.stringMatching(/unreadable bytes after entry 1/),
    });
  });
});
