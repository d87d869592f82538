import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ApiKeyStore, AuthError, ForbiddenError } from "../src/index.js";

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof AuthError) return error.reason;
    throw error;
  }
  return "none";
}

describe("API keys", () => {
  it("authenticates a key to its tenant and scopes, and stores only a hash of it", () => {
    const dir = mkdtempSync(join(tmpdir(), "keys-"));
    const store = ApiKeyStore.open(dir);
    const { key, record } = store.create("acme", "kiosk", ["recognise"]);
    expect(key).toMatch(/^frk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(store.authenticate(key)).toEqual({ keyId: record.id, tenant: "acme", scopes: ["recognise"] });
    const secret = key.split("_").slice(2).join("_");
    expect(readFileSync(join(dir, "keys.log"), "utf8")).not.toContain(secret);
    expect(JSON.stringify(store.list("acme"))).not.toContain(record.secretSha256);
  });

  it("adopts a bootstrap key made elsewhere, keeping only its hash, and refuses a malformed or reused one", () => {
    const dir = mkdtempSync(join(tmpdir(), "keys-"));
    const store = ApiKeyStore.open(dir);
    const key = `frk_0123456789abcdef_${"Ab9_-".repeat(8)}xyz`;
    const record = store.adopt("default", "bootstrap admin", ["admin"], key);
    expect(store.authenticate(key)).toEqual({ keyId: "0123456789abcdef", tenant: "default", scopes: ["admin"] });
    expect(record.id).toBe("0123456789abcdef");
    expect(readFileSync(join(dir, "keys.log"), "utf8")).not.toContain("Ab9_-Ab9_-");
    expect(() => store.adopt("default", "again", ["admin"], key)).toThrow(/already exists/);
    expect(() => store.adopt("default", "short", ["admin"], "frk_0123_abc")).toThrow(/frk_<16 hex digits>/);
  });

  it("says why a key was refused, for the audit trail, and gives the caller one message", () => {
    const store = ApiKeyStore.open(mkdtempSync(join(tmpdir(), "keys-")));
    const { key, record } = store.create("acme", "kiosk", ["recognise"]);
    expect(failure(() => store.authenticate(undefined))).toBe("missing");
    expect(failure(() => store.authenticate("Bearer nonsense"))).toBe("malformed");
    expect(failure(() => store.authenticate(key.replace(record.id, "0123456789abcdef")))).toBe("unknown");
    const wrong = `${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`;
    expect(failure(() => store.authenticate(wrong))).toBe("wrong-secret");
    store.revoke("acme", record.id);
    expect(failure(() => store.authenticate(key))).toBe("revoked");
    expect(() => store.authenticate(key)).toThrow("invalid or missing API key");
  });

  it("enforces scopes, with admin holding all of them", () => {
    const store = ApiKeyStore.open(mkdtempSync(join(tmpdir(), "keys-")));
    const kiosk = store.authenticate(store.create("acme", "kiosk", ["recognise"]).key);
    const admin = store.authenticate(store.create("acme", "ops", ["admin"]).key);
    expect(() => ApiKeyStore.require(kiosk, "recognise")).not.toThrow();
    expect(() => ApiKeyStore.require(kiosk, "enrol")).toThrow(ForbiddenError);
    expect(() => ApiKeyStore.require(admin, "audit")).not.toThrow();
    expect(() => store.create("acme", "bad", [])).toThrow(/non-empty subset/);
  });

  it("keeps revocations and tenants across a restart; one tenant cannot revoke another's key", () => {
    const dir = mkdtempSync(join(tmpdir(), "keys-"));
    const store = ApiKeyStore.open(dir);
    const a = store.create("acme", "a", ["enrol"]);
    const b = store.create("globex", "b", ["enrol"]);
    expect(() => store.revoke("acme", b.record.id)).toThrow(/no API key/);
    store.revoke("acme", a.record.id);
    store.close();
    const reopened = ApiKeyStore.open(dir);
    expect(failure(() => reopened.authenticate(a.key))).toBe("revoked");
    expect(reopened.authenticate(b.key).tenant).toBe("globex");
    expect(reopened.list("acme").map((k) => k.name)).toEqual(["a"]);
  });
});
