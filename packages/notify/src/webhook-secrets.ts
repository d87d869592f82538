import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { apiFailure } from "@facerec/common";
import { privateFolder, writeDurably } from "@facerec/storage";

/** The key's length: AES-256. */
const KEY_BYTES = 32;
/** GCM's recommended nonce length; a fresh random one for every seal. */
const NONCE_BYTES = 12;
/** What a sealed secret starts with: the format's version, so that a later format can be told apart. */
const VERSION = "v1";
/** The key file of a data folder's webhooks, where FACEREC_WEBHOOK_KEY is not set (embedded mode). */
export const WEBHOOK_KEY_FILE = "webhooks.key";

/**
 * Webhook secrets cannot be sealed or opened: no key is configured (FACEREC_WEBHOOK_KEY, needed with
 * PostgreSQL), or a secret was sealed under another key than the one configured.
 */
export class WebhookKeyError extends apiFailure(503, "UNAVAILABLE") {
  override readonly name = "WebhookKeyError";
}

/** 32 bytes written as 64 hex digits or as base64 (standard or URL-safe, padded or not); `source` names it in errors. */
function parseKey(text: string, source: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, "hex");
  // Buffer's base64 decoder skips what is not base64, so the shape is checked first.
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) return Buffer.from(t, "base64");
  throw new RangeError(`${source} must be ${KEY_BYTES} bytes, written as 64 hex digits or in base64 (openssl rand -base64 32)`);
}

/**
 * Webhook signing secrets sealed at rest with AES-256-GCM: a sealed secret is
 * `v1.<key id>.<nonce>.<ciphertext>.<tag>` (base64url parts), and the webhook's tenant and id are
 * authenticated with it, so a sealed secret copied onto another webhook does not open. The key id (the
 * first 8 bytes of a SHA-256 of the key) tells a secret sealed under another key from a damaged one.
 * The stores seal a secret when they write it and open it when they list the webhook: the sender needs
 * the secret itself to sign, so it cannot be kept as a hash the way API keys are.
 */
export class WebhookSecrets {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== KEY_BYTES) throw new RangeError(`a webhook key is ${KEY_BYTES} bytes, not ${key.length}`);
    this.keyId = createHash("sha256").update("facerec webhook key id\0").update(key).digest("hex").slice(0, 16);
  }

  /** The key in FACEREC_WEBHOOK_KEY; undefined when it is not set. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): WebhookSecrets | undefined {
    const text = env.FACEREC_WEBHOOK_KEY;
    return text ? new WebhookSecrets(parseKey(text, "FACEREC_WEBHOOK_KEY")) : undefined;
  }

  /**
   * The key of a data folder's webhooks (embedded mode): FACEREC_WEBHOOK_KEY when set, else the key in
   * `<dir>/webhooks.key`, made (random, 0600) at the first start. A key beside the sealed secrets keeps
   * them out of a copy of the log alone, not out of a copy of the whole folder: set FACEREC_WEBHOOK_KEY
   * from a secret store to keep the two apart.
   */
  static forFolder(dir: string, env: NodeJS.ProcessEnv = process.env): WebhookSecrets {
    const configured = WebhookSecrets.fromEnv(env);
    if (configured) return configured;
    const file = join(dir, WEBHOOK_KEY_FILE);
    if (!existsSync(file)) {
      privateFolder(dir);
      writeDurably(file, `${randomBytes(KEY_BYTES).toString("base64")}\n`);
    }
    return new WebhookSecrets(parseKey(readFileSync(file, "utf8"), file));
  }

  /** Whether a stored secret is sealed (an earlier version stored `whsec_...` as given). */
  static isSealed(stored: string): boolean {
    return stored.startsWith(`${VERSION}.`);
  }

  /** Seal the secret of the webhook `id` of `tenant`. */
  seal(secret: string, tenant: string, id: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce);
    cipher.setAAD(Buffer.from(`${tenant}\0${id}`));
    const ciphertext = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
    return [VERSION, this.keyId, nonce, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
      .join(".");
  }

  /** Open what `seal` made for the same tenant and webhook; WebhookKeyError when another key sealed it. */
  open(sealed: string, tenant: string, id: string): string {
    const [version, keyId, nonce, ciphertext, tag] = sealed.split(".");
    if (version !== VERSION || nonce === undefined || ciphertext === undefined || tag === undefined)
      throw new RangeError(`webhook ${id}: its stored secret is not a sealed secret`);
    if (keyId !== this.keyId)
      throw new WebhookKeyError(
        `webhook ${id}: its secret was sealed under key ${keyId}, and the webhook key configured is ${this.keyId}`,
      );
    // The full 16-byte tag only: GCM would otherwise accept a truncated one.
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(nonce, "base64url"), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(`${tenant}\0${id}`));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
  }
}
