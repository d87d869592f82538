import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CorruptLogError, Database } from "@facerec/storage";
import { postgresForTests } from "@facerec/testkit";
import { describe, expect, it } from "vitest";
import { ApiKeyStore, AuthError, FileKeyStore, ForbiddenError, type KeyStore, PgKeyStore } from "../src/index.js";

async function failure(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof AuthError) return error.reason;
    throw error;
  }
  return "none";
}

/** How an adapter is opened for the shared suite: `open` twice on one `place` gives two replicas. */
interface Adapter {
  place(): Promise<string>;
  open(place: string): Promise<KeyStore>;
  /** What the adapter keeps on disk or in its tables, to check that no secret is there. */
  stored(place: string): Promise<string>;
}

/** The conformance suite every API-key store passes. */
function conformance(name: string, adapter: Adapter): void {
  describe(`API keys on ${name}`, () => {
    it("authenticates a key to its tenant and scopes, and stores only a hash of it", async () => {
      const place = await adapter.place();
      const store = await ApiKeyStore.open(await adapter.open(place));
      const { key, record } = await store.create("acme", "kiosk", ["recognise"]);
      expect(key).toMatch(/^frk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      expect(await store.authenticate(key)).toEqual({ keyId: record.id, tenant: "acme", scopes: ["recognise"] });
      const secret = key.split("_").slice(2).join("_");
      expect(await adapter.stored(place)).not.toContain(secret);
      expect(JSON.stringify(await store.list("acme"))).not.toContain(record.secretSha256);
      await store.close();
    });

    it("adopts a bootstrap key made elsewhere, keeping only its hash, and refuses a malformed or reused one", async () => {
      const place = await adapter.place();
      const store = await ApiKeyStore.open(await adapter.open(place));
      const key = `frk_0123456789abcdef_${"Ab9_-".repeat(8)}xyz`;
      const record = await store.adopt("default", "bootstrap admin", ["admin"], key);
      expect(await store.authenticate(key)).toEqual({ keyId: "0123456789abcdef", tenant: "default", scopes: ["admin"] });
      expect(record.id).toBe("0123456789abcdef");
      expect(await adapter.stored(place)).not.toContain("Ab9_-Ab9_-");
      await expect(store.adopt("default", "again", ["admin"], key)).rejects.toThrow(/already exists/);
      await expect(store.adopt("default", "short", ["admin"], "frk_0123_abc")).rejects.toThrow(/frk_<16 hex digits>/);
      await store.close();
    });

    it("says why a key was refused, for the audit trail, and gives the caller one message", async () => {
      const store = await ApiKeyStore.open(await adapter.open(await adapter.place()));
      const { key, record } = await store.create("acme", "kiosk", ["recognise"]);
      expect(await failure(() => store.authenticate(undefined))).toBe("missing");
      expect(await failure(() => store.authenticate("Bearer nonsense"))).toBe("malformed");
      expect(await failure(() => store.authenticate(key.replace(record.id, "0123456789abcdef")))).toBe("unknown");
      const wrong = `${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`;
      expect(await failure(() => store.authenticate(wrong))).toBe("wrong-secret");
      await store.revoke("acme", record.id);
      expect(await failure(() => store.authenticate(key))).toBe("revoked");
      await expect(store.authenticate(key)).rejects.toThrow("invalid or missing API key");
      await store.close();
    });

    it("enforces scopes, with admin holding all of them", async () => {
      const store = await ApiKeyStore.open(await adapter.open(await adapter.place()));
      const kiosk = await store.authenticate((await store.create("acme", "kiosk", ["recognise"])).key);
      const admin = await store.authenticate((await store.create("acme", "ops", ["admin"])).key);
      expect(() => ApiKeyStore.require(kiosk, "recognise")).not.toThrow();
      expect(() => ApiKeyStore.require(kiosk, "enrol")).toThrow(ForbiddenError);
      expect(() => ApiKeyStore.require(admin, "audit")).not.toThrow();
      await expect(store.create("acme", "bad", [])).rejects.toThrow(/non-empty subset/);
      await store.close();
    });

    it("keeps revocations and tenants across a restart; one tenant cannot revoke another's key", async () => {
      const place = await adapter.place();
      const store = await ApiKeyStore.open(await adapter.open(place));
      const a = await store.create("acme", "a", ["enrol"]);
      const b = await store.create("globex", "b", ["enrol"]);
      await expect(store.revoke("acme", b.record.id)).rejects.toThrow(/no API key/);
      await store.revoke("acme", a.record.id);
      await store.close();
      const reopened = await ApiKeyStore.open(await adapter.open(place));
      expect(await failure(() => reopened.authenticate(a.key))).toBe("revoked");
      expect((await reopened.authenticate(b.key)).tenant).toBe("globex");
      expect((await reopened.list("acme")).map((k) => k.name)).toEqual(["a"]);
      await reopened.close();
    });
  });
}

conformance("local files", {
  place: async () => mkdtempSync(join(tmpdir(), "keys-")),
  open: async (dir) => FileKeyStore.open(dir),
  stored: async (dir) => readFileSync(join(dir, "keys.log"), "utf8"),
});

describe("API keys in a local log changed on disk", () => {
  it("refuses to open over one bit flipped in the revocation at the end of keys.log, rather than reviving the key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keys-"));
    const store = await ApiKeyStore.open(FileKeyStore.open(dir));
    const { key, record } = await store.create("acme", "kiosk", ["recognise"]);
    await store.revoke("acme", record.id);
    await store.close();
    const path = join(dir, "keys.log");
    const bytes = readFileSync(path);
    // Inside the revocation's JSON: the last record of the log, and whole.
    const at = bytes.lastIndexOf("revokedAt");
    bytes[at] = (bytes[at] as number) ^ 0x01;
    writeFileSync(path, bytes);
    expect(() => FileKeyStore.open(dir)).toThrow(CorruptLogError);
    // Nothing was cut: the damaged record is there for `facerec repair` and an operator to see.
    expect(readFileSync(path).equals(bytes)).toBe(true);
    // Unharmed, the same log still opens with the key revoked.
    bytes[at] = (bytes[at] as number) ^ 0x01;
    writeFileSync(path, bytes);
    const reopened = await ApiKeyStore.open(FileKeyStore.open(dir));
    expect(await failure(() => reopened.authenticate(key))).toBe("revoked");
    await reopened.close();
  });
});

const pg = postgresForTests();
const connect = async (url: string) => {
  return pg.closeAfter(await Database.connect(url));
};

conformance("PostgreSQL", {
  place: async () => pg.database(),
  open: async (url) => new PgKeyStore(await connect(url)),
  stored: async (url) => JSON.stringify((await (await connect(url)).query("SELECT * FROM api_keys")).rows),
});

describe("API keys shared by replicas (PostgreSQL)", () => {
  it("a key created on one replica works on another at once; a revocation holds there within the poll bound", async () => {
    const url = pg.database();
    const a = await ApiKeyStore.open(new PgKeyStore(await connect(url)));
    const b = await ApiKeyStore.open(new PgKeyStore(await connect(url)));
    const { key, record } = await a.create("acme", "kiosk", ["recognise"]);
    // B has never seen it: it looks the key up once before refusing.
    expect((await b.authenticate(key)).keyId).toBe(record.id);
    await a.revoke("acme", record.id);
    const revokedAt = Date.now();
    while ((await failure(() => b.authenticate(key))) !== "revoked") {
      expect(Date.now() - revokedAt).toBeLessThan(5000);
      await new Promise((r) => setTimeout(r, 10));
    }
    await a.close();
    await b.close();
  });
});
