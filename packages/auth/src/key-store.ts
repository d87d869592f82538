import { Database, Follower, JsonRecordStore, NO_WATCH, type Watch } from "@facerec/storage";
import type { ApiKeyRecord } from "./api-keys.js";

/**
 * The API-key storage port. Two adapters pass one conformance suite: a local record log (embedded
 * mode) and PostgreSQL, where every gateway replica reads and writes the same keys.
 */
export interface KeyStore {
  load(): Promise<ApiKeyRecord[]>;
  /** Store a new key; a RangeError when its id is taken. Durable when it resolves. */
  insert(record: ApiKeyRecord): Promise<void>;
  /** Replace a key's record (revocation). Durable when it resolves. */
  update(record: ApiKeyRecord): Promise<void>;
  /** Be told of records other writers changed, from now on. */
  watch(onChanged: (records: ApiKeyRecord[]) => void): Watch;
  close(): Promise<void>;
}

/** Keys in one local record log; one process writes it, so there is nothing to watch. */
export class FileKeyStore implements KeyStore {
  /** Every record as written: a key's later records (its revocation) replace its earlier ones. */
  private readonly records: ApiKeyRecord[] = [];
  private readonly ids = new Set<string>();
  private readonly log: JsonRecordStore<ApiKeyRecord>;

  private constructor(dir: string) {
    this.log = JsonRecordStore.open(dir, "keys.log", (record: ApiKeyRecord) => {
      this.records.push(record);
      this.ids.add(record.id);
    });
  }

  static open(dir: string): FileKeyStore {
    return new FileKeyStore(dir);
  }

  async load(): Promise<ApiKeyRecord[]> {
    const latest = new Map(this.records.map((r) => [r.id, r]));
    return [...latest.values()];
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    if (this.ids.has(record.id)) throw new RangeError(`an API key with id ${record.id} already exists`);
    await this.update(record);
  }

  async update(record: ApiKeyRecord): Promise<void> {
    this.log.append(record);
  }

  watch(): Watch {
    return NO_WATCH;
  }

  async close(): Promise<void> {
    this.log.close();
  }
}

type Row = {
  id: string;
  tenant: string;
  name: string;
  scopes: string[];
  secret_sha256: string;
  created_at: string;
  revoked_at: string | null;
  cameras: string[] | null;
};

const recordOf = (r: Row): ApiKeyRecord => ({
  id: r.id,
  tenant: r.tenant,
  name: r.name,
  scopes: r.scopes as ApiKeyRecord["scopes"],
  secretSha256: r.secret_sha256,
  createdAt: r.created_at,
  ...(r.revoked_at ? { revokedAt: r.revoked_at } : {}),
  ...(r.cameras ? { cameras: r.cameras } : {}),
});

/** Keys in PostgreSQL; every write records a change that the other replicas follow. */
export class PgKeyStore implements KeyStore {
  private cursor = 0;

  constructor(private readonly db: Database) {}

  async load(): Promise<ApiKeyRecord[]> {
    // The cursor first: a change committed between the two reads is applied again, never missed.
    this.cursor = await this.db.lastChange("key");
    const { rows } = await this.db.query<Row>("SELECT * FROM api_keys");
    return rows.map(recordOf);
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    await this.db.transaction(async (client) => {
      const { rowCount } = await client.query(
        `INSERT INTO api_keys (id, tenant, name, scopes, secret_sha256, created_at, revoked_at, cameras)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
        [
          record.id,
          record.tenant,
          record.name,
          record.scopes,
          record.secretSha256,
          record.createdAt,
          record.revokedAt ?? null,
          record.cameras ?? null,
        ],
      );
      if (rowCount === 0) throw new RangeError(`an API key with id ${record.id} already exists`);
      await Database.recordChange(client, "key", record.tenant, record.id);
    });
  }

  async update(record: ApiKeyRecord): Promise<void> {
    await this.db.transaction(async (client) => {
      await client.query("UPDATE api_keys SET name = $2, scopes = $3, revoked_at = $4 WHERE id = $1", [
        record.id,
        record.name,
        record.scopes,
        record.revokedAt ?? null,
      ]);
      await Database.recordChange(client, "key", record.tenant, record.id);
    });
  }

  watch(onChanged: (records: ApiKeyRecord[]) => void): Watch {
    const follower = new Follower(this.db, "key", async () => {
      for (;;) {
        const changes = await this.db.changesSince("key", this.cursor);
        if (changes.length === 0) return;
        const { rows } = await this.db.query<Row>("SELECT * FROM api_keys WHERE id = ANY($1)", [changes.map((c) => c.ref)]);
        onChanged(rows.map(recordOf));
        this.cursor = changes.at(-1)?.sequence ?? this.cursor;
      }
    });
    follower.start();
    return follower;
  }

  async close(): Promise<void> {}
}
