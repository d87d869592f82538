import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database, JsonRecordStore } from "@facerec/storage";
import { postgresForTests } from "@facerec/testkit";
import { describe, expect, it } from "vitest";
import {
  FileWebhookStore,
  PgWebhookStore,
  WEBHOOK_KEY_FILE,
  type Webhook,
  WebhookKeyError,
  WebhookSecrets,
  type WebhookStore,
} from "../src/index.js";

const pg = postgresForTests();

const hook = (tenant = "acme"): Webhook => ({
  id: randomUUID().replaceAll("-", "").slice(0, 16),
  tenant,
  url: "https://receiver.example/hook",
  outcomes: [],
  cameras: [],
  subjects: [],
  secret: `whsec_${randomBytes(32).toString("base64url")}`,
  createdAt: new Date().toISOString(),
});

/** Every byte the local store keeps, file by file. */
const folderText = (dir: string) => readdirSync(dir).map((f) => readFileSync(join(dir, f), "latin1"));

/** A store and everything it holds at rest, as text: each file of its folder, or each webhooks row. */
const adapters: [string, () => Promise<{ store: WebhookStore; atRest: () => Promise<string[]> }>][] = [
  [
    "local files",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "webhook-secrets-"));
      return { store: FileWebhookStore.open(dir), atRest: async () => folderText(dir) };
    },
  ],
  [
    "PostgreSQL",
    async () => {
      const db = pg.closeAfter(await Database.connect(pg.database()));
      const store = new PgWebhookStore(db, { secrets: new WebhookSecrets(randomBytes(32)) });
      return {
        store,
        atRest: async () =>
          (await db.query<{ row: string }>("SELECT row_to_json(w)::text AS row FROM webhooks w")).rows.map((r) => r.row),
      };
    },
  ],
];

for (const [name, open] of adapters) {
  describe(`webhook secrets at rest on ${name}`, () => {
    it("keeps only the sealed secret, opens it for the sender, and wipes it on delete", async () => {
      const { store, atRest } = await open();
      const h = hook();
      await store.insert(h);
      const stored = (await atRest()).join("\n");
      expect(stored).toContain(h.id);
      expect(stored).not.toContain(h.secret);
      expect(stored).not.toContain(h.secret.slice("whsec_".length));
      const sealed = /v1\.[0-9a-f]{16}\.[\w-]+\.[\w-]+\.[\w-]+/.exec(stored)?.[0] as string;
      expect(sealed).toBeDefined();
      // The sender gets the secret itself, to sign with.
      expect((await store.list("acme")).map((w) => w.secret)).toEqual([h.secret]);
      expect(await store.remove("acme", h.id, new Date().toISOString())).toBe(true);
      const after = (await atRest()).join("\n");
      expect(after).not.toContain(sealed.split(".")[3]);
      expect(after).not.toContain(h.secret);
      await store.close();
    });
  });
}

describe("webhook secrets kept by an earlier version", () => {
  it("local files: the log is rewritten at open, the secret sealed and deleted webhooks gone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "webhook-legacy-"));
    const [kept, deleted] = [hook(), hook()];
    const legacy = JsonRecordStore.open(dir, "webhooks.log", () => {});
    legacy.append({ type: "hook", hook: kept });
    legacy.append({ type: "hook", hook: deleted });
    legacy.append({ type: "deleted", tenant: "acme", id: deleted.id, at: new Date().toISOString() });
    legacy.close();
    const store = FileWebhookStore.open(dir);
    expect(await store.list("acme")).toEqual([kept]);
    const text = folderText(dir).join("\n");
    for (const gone of [kept.secret, deleted.secret, deleted.id]) expect(text).not.toContain(gone);
    await store.close();
    // Opened again: the same webhook, sealed under the folder's key.
    const again = FileWebhookStore.open(dir);
    expect(await again.list("acme")).toEqual([kept]);
    await again.close();
  });

  it("PostgreSQL: a secret stored as given is sealed in its row the first time it is read with the key", async () => {
    const db = pg.closeAfter(await Database.connect(pg.database()));
    const h = hook();
    await db.query(
      "INSERT INTO webhooks (id, tenant, url, outcomes, cameras, subjects, secret, created_at) VALUES ($1, $2, $3, '{}', '{}', '{}', $4, $5)",
      [h.id, h.tenant, h.url, h.secret, h.createdAt],
    );
    const store = new PgWebhookStore(db, { secrets: new WebhookSecrets(randomBytes(32)) });
    expect(await store.list("acme")).toEqual([h]);
    const { rows } = await db.query<{ secret: string }>("SELECT secret FROM webhooks WHERE id = $1", [h.id]);
    expect(rows[0]?.secret).toMatch(/^v1\./);
    expect(await store.list("acme")).toEqual([h]);
  });
});

describe("the webhook key", () => {
  it("is read from FACEREC_WEBHOOK_KEY as hex or base64, and a bad one is refused at start", () => {
    const key = randomBytes(32);
    const ids = [key.toString("hex"), key.toString("base64"), key.toString("base64url")].map(
      (text) => WebhookSecrets.fromEnv({ FACEREC_WEBHOOK_KEY: text })?.keyId,
    );
    expect(new Set(ids).size).toBe(1);
    expect(WebhookSecrets.fromEnv({})).toBeUndefined();
    for (const bad of ["short", randomBytes(16).toString("base64"), `${key.toString("hex")}00`])
      expect(() => WebhookSecrets.fromEnv({ FACEREC_WEBHOOK_KEY: bad }), bad).toThrow(/32 bytes/);
  });

  it("in a local folder without FACEREC_WEBHOOK_KEY, is made once (0600) and kept across restarts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "webhook-key-"));
    const first = WebhookSecrets.forFolder(dir, {});
    expect(statSync(join(dir, WEBHOOK_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(WebhookSecrets.forFolder(dir, {}).keyId).toBe(first.keyId);
    const configured = randomBytes(32);
    expect(WebhookSecrets.forFolder(dir, { FACEREC_WEBHOOK_KEY: configured.toString("hex") }).keyId).toBe(
      new WebhookSecrets(configured).keyId,
    );
  });

  it("opens only what it sealed, for the same webhook; another key is named as such", () => {
    const secrets = new WebhookSecrets(randomBytes(32));
    const sealed = secrets.seal("whsec_x", "acme", "h1");
    expect(secrets.open(sealed, "acme", "h1")).toBe("whsec_x");
    // Copied onto another webhook, or another tenant's: the tag does not verify.
    expect(() => secrets.open(sealed, "acme", "h2")).toThrow();
    expect(() => secrets.open(sealed, "globex", "h1")).toThrow();
    const other = new WebhookSecrets(randomBytes(32));
    expect(() => other.open(sealed, "acme", "h1")).toThrow(WebhookKeyError);
    expect(() => other.open(sealed, "acme", "h1")).toThrow(`sealed under key ${secrets.keyId}`);
  });

  it("PostgreSQL without a key: nothing is created, with a 503 that says what to set", async () => {
    const db = pg.closeAfter(await Database.connect(pg.database()));
    const store = new PgWebhookStore(db, {});
    const refused = await store.insert(hook()).catch((e) => e);
    expect(refused).toBeInstanceOf(WebhookKeyError);
    expect(refused.status).toBe(503);
    expect(refused.message).toContain("FACEREC_WEBHOOK_KEY");
    expect(await store.list("acme")).toEqual([]);
  });
});
