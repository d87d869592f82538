import { AsyncLocalStorage } from "node:async_hooks";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runner } from "node-pg-migrate";
import pg from "pg";

/** Where the versioned SQL migrations live (applied in file-name order by node-pg-migrate). */
const MIGRATIONS = fileURLToPath(new URL("../migrations", import.meta.url));

/** The table node-pg-migrate records applied migrations in. */
const MIGRATIONS_TABLE = "schema_migrations";

/**
 * Every replica applies pending migrations at start, unless the deployment runs them in a step of
 * its own (the Helm chart's init container, `facerec db migrate`). node-pg-migrate's own lock fails a second
 * concurrent runner ("Another migration is already running"), so replicas starting together wait on
 * this advisory lock instead and find the work done.
 */
const MIGRATION_LOCK = 0x66616365; // "face"

/** The advisory lock every write to the `changes` table takes, so sequences commit in order. */
const CHANGES_LOCK = 0x63686e67; // "chng"

/** How long to wait between attempts to reconnect the notification listener (doubling, capped). */
const LISTEN_RETRY_MS = { first: 100, max: 2000 };

/**
 * The schema is older than this build: the process was told not to migrate at start and nobody has
 * run the migrations yet.
 */
export class SchemaBehindError extends Error {
  constructor(readonly pending: readonly string[]) {
    super(
      `the database schema is behind this build (pending: ${pending.join(", ")}); run "facerec db migrate" with DATABASE_URL set`,
    );
    this.name = "SchemaBehindError";
  }
}

/**
 * Connection-level failures: the server is down, restarting, or the connection dropped. Work that
 * fails with one of these is retried later rather than treated as bad input.
 */
export function isTransient(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (typeof e?.code === "string") {
    if (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN)$/.test(e.code)) return true;
    // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot connect now; 53300: too many connections.
    if (/^(08...|57P0[123]|53300)$/.test(e.code)) return true;
  }
  return /Connection terminated|connection (is )?closed|Client has encountered a connection error/i.test(e?.message ?? "");
}

export type Queryable = Pick<pg.PoolClient, "query">;

interface Ambient {
  client: pg.PoolClient;
  committed: (() => void)[];
  rolledBack: (() => void)[];
}

/**
 * The PostgreSQL system of record: a bounded pool, migrations applied once at start under a lock,
 * transactions, and LISTEN/NOTIFY with a listener that reconnects by itself.
 */
export class Database {
  /** The transaction the current call runs in, with what to do once it commits or rolls back. */
  private readonly ambient = new AsyncLocalStorage<Ambient>();
  private readonly listeners = new Map<string, Set<(payload: string) => void>>();
  private readonly reconnectHooks = new Set<() => void>();
  private listener: pg.Client | undefined;
  private listening: Promise<void> | undefined;
  private closed = false;

  private constructor(
    readonly pool: pg.Pool,
    private readonly url: string,
  ) {}

  /**
   * Connect (a pool of at most `max` connections) and apply pending migrations; with `schema: "check"`
   * only check that none is pending (SchemaBehindError), with "none" not even that. A server that is not up yet
   * (a pod starting beside its database) is waited for, up to `waitMs`.
   */
  static async connect(
    url: string,
    options: { max?: number; schema?: "migrate" | "check" | "none"; waitMs?: number } = {},
  ): Promise<Database> {
    const pool = new pg.Pool({ connectionString: url, max: options.max ?? 8, connectionTimeoutMillis: 5000 });
    // An idle connection that the server closed (a restart) is dropped from the pool; the next
    // query opens a new one. Without a handler the error would end the process.
    pool.on("error", () => {});
    const db = new Database(pool, url);
    const deadline = Date.now() + (options.waitMs ?? 60_000);
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      try {
        const schema = options.schema ?? "migrate";
        if (schema === "migrate") await db.migrate();
        else if (schema === "check") {
          const pending = await db.pendingMigrations();
          if (pending.length) throw new SchemaBehindError(pending);
        } else await db.query("SELECT 1");
        return db;
      } catch (error) {
        if (!isTransient(error) || Date.now() > deadline) {
          await pool.end().catch(() => {});
          throw error;
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /**
   * Run `effect` once the transaction this call runs in commits (at once outside one): in-process
   * caches follow only what was committed. `undo` runs instead if it rolls back.
   */
  afterCommit(effect: () => void, undo?: () => void): void {
    const open = this.ambient.getStore();
    if (!open) {
      effect();
      return;
    }
    open.committed.push(effect);
    if (undo) open.rolledBack.push(undo);
  }

  /** Run `undo` if the transaction this call runs in rolls back (nothing outside one). */
  onRollback(undo: () => void): void {
    this.ambient.getStore()?.rolledBack.push(undo);
  }

  /** Apply pending migrations, one runner at a time across every replica; returns the names applied. */
  async migrate(): Promise<string[]> {
    const client = await this.pool.connect();
    try {
      await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
      const applied = await runner({
        dbClient: client as unknown as pg.Client,
        dir: MIGRATIONS,
        direction: "up",
        migrationsTable: MIGRATIONS_TABLE,
        noLock: true,
        log: () => {},
      });
      return applied.map((m) => m.name);
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => {});
      client.release();
    }
  }

  /** Migrations this build has that the database has not applied, oldest first. */
  async pendingMigrations(): Promise<string[]> {
    const known = readdirSync(MIGRATIONS)
      .filter((f) => f.endsWith(".sql"))
      .map((f) => f.replace(/\.sql$/, ""))
      .sort();
    const exists = await this.query<{ t: string | null }>("SELECT to_regclass($1) AS t", [MIGRATIONS_TABLE]);
    if (!exists.rows[0]?.t) return known;
    const { rows } = await this.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`);
    const applied = new Set(rows.map((r) => r.name));
    return known.filter((name) => !applied.has(name));
  }

  /** A query, in the transaction this call runs in if there is one. */
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    const open = this.ambient.getStore();
    return open ? open.client.query<R>(text, values) : this.pool.query<R>(text, values);
  }

  /**
   * Run `work` in one transaction; rolled back if it throws. Called within another transaction's work
   * (on this database), it joins that one: an operation's change and its audit entry, each written by
   * its own store, commit together or not at all.
   */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const open = this.ambient.getStore();
    if (open) return work(open.client);
    const client = await this.pool.connect();
    const scope: Ambient = { client, committed: [], rolledBack: [] };
    let result: T;
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      result = await this.ambient.run(scope, () => work(client));
      await client.query("COMMIT");
    } catch (error) {
      // A connection whose rollback failed may still be inside the transaction: the pool drops it.
      await client.query("ROLLBACK").catch((e: Error) => {
        broken = e;
      });
      for (const f of scope.rolledBack) f();
      throw error;
    } finally {
      client.release(broken);
    }
    // Committed: what follows the commit runs outside it, and cannot undo it.
    for (const f of scope.committed) f();
    return result;
  }

  /**
   * Record that `ref` (a subject or key id) changed, inside the caller's transaction, and notify the
   * kind's channel at commit. The lock makes sequences commit in order, so a replica that reads past
   * sequence n never misses a change numbered below n that committed later.
   */
  static async recordChange(
    client: Queryable,
    kind: string,
    tenant: string,
    ref: string,
    options: { erased?: boolean } = {},
  ): Promise<number> {
    await client.query("SELECT pg_advisory_xact_lock($1)", [CHANGES_LOCK]);
    if (options.erased)
      await client.query("DELETE FROM changes WHERE kind = $1 AND tenant = $2 AND ref = $3", [kind, tenant, ref]);
    const { rows } = await client.query<{ sequence: string }>(
      "INSERT INTO changes (kind, tenant, ref, erased) VALUES ($1, $2, $3, $4) RETURNING sequence",
      [kind, tenant, ref, options.erased ?? false],
    );
    const sequence = Number(rows[0]?.sequence);
    await client.query("SELECT pg_notify($1, $2)", [`facerec_${kind}`, String(sequence)]);
    return sequence;
  }

  /** Changes of one kind after `sequence`, oldest first. */
  async changesSince(
    kind: string,
    sequence: number,
    limit = 1000,
  ): Promise<{ sequence: number; tenant: string; ref: string; erased: boolean }[]> {
    const { rows } = await this.query<{ sequence: string; tenant: string; ref: string; erased: boolean }>(
      "SELECT sequence, tenant, ref, erased FROM changes WHERE kind = $1 AND sequence > $2 ORDER BY sequence LIMIT $3",
      [kind, sequence, limit],
    );
    return rows.map((r) => ({ ...r, sequence: Number(r.sequence) }));
  }

  /** The highest change sequence of a kind (0 when none). */
  async lastChange(kind: string): Promise<number> {
    const { rows } = await this.query<{ max: string | null }>("SELECT max(sequence) AS max FROM changes WHERE kind = $1", [kind]);
    return Number(rows[0]?.max ?? 0);
  }

  /** Whether `ref` of `kind` was erased (a tombstone remains). */
  async wasErased(kind: string, tenant: string, ref: string): Promise<boolean> {
    const { rowCount } = await this.query("SELECT 1 FROM changes WHERE kind = $1 AND tenant = $2 AND ref = $3 AND erased", [
      kind,
      tenant,
      ref,
    ]);
    return (rowCount ?? 0) > 0;
  }

  /**
   * Be told of notifications on a change kind's channel, and of every (re)connection of the listener:
   * notifications sent while it was away are lost, so a follower catches up then.
   */
  listen(kind: string, onNotify: (payload: string) => void, onReconnect: () => void): () => void {
    const channel = `facerec_${kind}`;
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      if (this.listener) this.listener.query(`LISTEN ${channel}`).catch(() => {});
    }
    set.add(onNotify);
    this.reconnectHooks.add(onReconnect);
    this.listening ??= this.keepListening();
    return () => {
      set.delete(onNotify);
      this.reconnectHooks.delete(onReconnect);
    };
  }

  private async keepListening(): Promise<void> {
    let delay = LISTEN_RETRY_MS.first;
    while (!this.closed) {
      const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5000 });
      const ended = new Promise<void>((resolve) => {
        client.on("error", () => resolve());
        client.on("end", () => resolve());
      });
      try {
        await client.connect();
        client.on("notification", (n) => {
          for (const fn of this.listeners.get(n.channel) ?? []) fn(n.payload ?? "");
        });
        for (const channel of this.listeners.keys()) await client.query(`LISTEN ${channel}`);
        this.listener = client;
        delay = LISTEN_RETRY_MS.first;
        for (const hook of this.reconnectHooks) hook();
        await ended;
      } catch {
        // the server is away; try again below
      }
      this.listener = undefined;
      await client.end().catch(() => {});
      if (this.closed) return;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, LISTEN_RETRY_MS.max);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => {});
    await this.pool.end();
  }
}
