import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { apiFailure, token } from "@facerec/common";
import type { Watch } from "@facerec/storage";
import type { KeyStore } from "./key-store.js";

export const SCOPES = ["admin", "enrol", "recognise", "audit"] as const;
export type Scope = (typeof SCOPES)[number];

/** What is stored for a key: never the key itself, only the SHA-256 of its secret part. */
export interface ApiKeyRecord {
  id: string;
  tenant: string;
  name: string;
  scopes: Scope[];
  /**
   * The cameras the key speaks for (a kiosk's, a site's): its identifications are decided under those
   * cameras' rules and reported as theirs. Absent: the key is bound to none, and a camera it names is
   * only a label of the API call.
   */
  cameras?: string[];
  secretSha256: string;
  createdAt: string;
  revokedAt?: string;
}

export interface Principal {
  keyId: string;
  tenant: string;
  scopes: Scope[];
  /** The cameras the key is bound to, when it is bound. */
  cameras?: string[];
}

export type AuthFailure = "missing" | "malformed" | "unknown" | "revoked" | "wrong-secret";

/** Authentication failed; `reason` is for the audit trail, not the caller. */
export class AuthError extends apiFailure(401, "UNAUTHENTICATED") {
  override readonly name = "AuthError";
  constructor(readonly reason: AuthFailure) {
    super("invalid or missing API key");
  }
}

/** No such key in the caller's tenant. */
export class KeyNotFoundError extends apiFailure(404, "NOT_FOUND") {
  override readonly name = "KeyNotFoundError";
}

/** Authenticated but not allowed. */
export class ForbiddenError extends apiFailure(403, "PERMISSION_DENIED") {
  override readonly name = "ForbiddenError";
}

const PREFIX = "frk";
/** Cameras one key may be bound to: a site's, not a city's. */
const MAX_KEY_CAMERAS = 100;
const KEY_FORM = /^frk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** The id of a presented key of the product's form (`frk_<id>_<secret>`), else undefined. */
export const keyIdOf = (presented: string | undefined): string | undefined => KEY_FORM.exec(presented?.trim() ?? "")?.[1];
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/**
 * API keys per tenant with scopes. A key reads `frk_<id>_<secret>`; the secret is 32 random bytes, so a
 * plain SHA-256 is enough to store it (no password stretching is needed for a key nobody chose), and
 * it is compared in constant time. The full key is returned once, at creation.
 *
 * Keys are checked against this replica's copy of the store, which follows other replicas' writes
 * (see KeyStore.watch): a key unknown here is looked up in the store once before it is refused, so a
 * key created on another replica works at once; a revocation holds within the store's follow bound.
 */
export class ApiKeyStore {
  private readonly keys = new Map<string, ApiKeyRecord>();
  private readonly watching: Watch;

  private constructor(private readonly store: KeyStore) {
    this.watching = store.watch((records) => {
      for (const r of records) this.keys.set(r.id, r);
    });
  }

  static async open(store: KeyStore): Promise<ApiKeyStore> {
    const keys = new ApiKeyStore(store);
    for (const r of await store.load()) keys.keys.set(r.id, r);
    return keys;
  }

  async create(
    tenant: string,
    name: string,
    scopes: Scope[],
    cameras?: string[],
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    const key = `${PREFIX}_${randomBytes(8).toString("hex")}_${randomBytes(32).toString("base64url")}`;
    return { key, record: await this.adopt(tenant, name, scopes, key, cameras) };
  }

  /**
   * Register a key generated elsewhere (a deployment's bootstrap Secret): it must have the product's
   * form and an unused id; only its hash is kept.
   */
  async adopt(tenant: string, name: string, scopes: Scope[], key: string, cameras?: string[]): Promise<ApiKeyRecord> {
    token("tenant", tenant);
    for (const camera of cameras ?? []) token("camera", camera);
    if (cameras && (cameras.length === 0 || cameras.length > MAX_KEY_CAMERAS))
      throw new RangeError(`a key is bound to 1-${MAX_KEY_CAMERAS} cameras, or to none`);
    const unknown = scopes.filter((s) => !SCOPES.includes(s));
    if (scopes.length === 0 || unknown.length > 0) {
      throw new RangeError(
        `scopes must be a non-empty subset of ${SCOPES.join(", ")}${unknown.length ? `; unknown: ${unknown.join(", ")}` : ""}`,
      );
    }
    const match = KEY_FORM.exec(key.trim());
    if (!match) throw new RangeError("a key reads frk_<16 hex digits>_<43 base64url characters>");
    const [, id = "", secret = ""] = match;
    if (this.keys.has(id)) throw new RangeError(`an API key with id ${id} already exists`);
    const record: ApiKeyRecord = {
      id,
      tenant,
      name,
      scopes: [...new Set(scopes)],
      ...(cameras ? { cameras: [...new Set(cameras)] } : {}),
      secretSha256: sha256(secret),
      createdAt: new Date().toISOString(),
    };
    await this.store.insert(record);
    this.keys.set(record.id, record);
    return record;
  }

  /** The principal a presented key stands for; throws AuthError with the reason otherwise. */
  async authenticate(presented: string | undefined): Promise<Principal> {
    if (!presented) throw new AuthError("missing");
    const match = KEY_FORM.exec(presented.trim());
    if (!match) throw new AuthError("malformed");
    const [, id = "", secret = ""] = match;
    if (!this.keys.has(id)) await this.watching.sync();
    const record = this.keys.get(id);
    if (!record) throw new AuthError("unknown");
    const expected = Buffer.from(record.secretSha256, "hex");
    if (!timingSafeEqual(expected, Buffer.from(sha256(secret), "hex"))) throw new AuthError("wrong-secret");
    if (record.revokedAt) throw new AuthError("revoked");
    return { keyId: id, tenant: record.tenant, scopes: record.scopes, ...(record.cameras ? { cameras: record.cameras } : {}) };
  }

  /** Throws ForbiddenError unless the principal holds `scope` (admin holds every scope). */
  static require(principal: Principal, scope: Scope): void {
    if (!principal.scopes.includes(scope) && !principal.scopes.includes("admin")) {
      throw new ForbiddenError(`this API key lacks the "${scope}" scope`);
    }
  }

  /** Revoke a key of the tenant; a KeyNotFoundError when the tenant has no such key. */
  async revoke(tenant: string, id: string): Promise<Omit<ApiKeyRecord, "secretSha256">> {
    if (!this.keys.has(id)) await this.watching.sync();
    const record = this.keys.get(id);
    if (!record || record.tenant !== tenant) throw new KeyNotFoundError(`no API key ${id} in this tenant`);
    const revoked = { ...record, revokedAt: record.revokedAt ?? new Date().toISOString() };
    await this.store.update(revoked);
    this.keys.set(id, revoked);
    const { secretSha256: _, ...rest } = revoked;
    return rest;
  }

  /** The tenant's keys (never their hashes), as the store holds them now. */
  async list(tenant: string): Promise<Omit<ApiKeyRecord, "secretSha256">[]> {
    await this.watching.sync();
    return [...this.keys.values()].filter((k) => k.tenant === tenant).map(({ secretSha256: _, ...rest }) => rest);
  }

  async close(): Promise<void> {
    this.watching.stop();
    await this.store.close();
  }
}
