import { type Database, JsonRecordStore } from "@facerec/storage";
import { DEFAULT_TENANT_POLICY, type PolicyVersion, type TenantPolicy } from "./policy.js";

/** The policies' storage port: local files (embedded mode) or PostgreSQL, shared by every replica. */
export interface PolicyStore {
  /** The tenant's policy in force: the newest version, or the default (version 0) when none was set. */
  current(tenant: string): Promise<PolicyVersion>;
  /** Every version the tenant set, newest first. */
  history(tenant: string): Promise<PolicyVersion[]>;
  /** Set a new version (the current one plus one) and return it. */
  set(tenant: string, policy: TenantPolicy, setBy: string, at?: Date): Promise<PolicyVersion>;
  /** The newest version of every tenant that set one. */
  all(): Promise<PolicyVersion[]>;
  close(): Promise<void>;
}

const defaultFor = (tenant: string): PolicyVersion => ({
  tenant,
  version: 0,
  policy: DEFAULT_TENANT_POLICY,
  setAt: "",
  setBy: "",
});

/** The policies in a local record log, one record a version, replayed at start. */
export class FilePolicyStore implements PolicyStore {
  private readonly versions = new Map<string, PolicyVersion[]>();
  private readonly log: JsonRecordStore<PolicyVersion>;

  private constructor(dir: string) {
    this.log = JsonRecordStore.open(dir, "policy.log", (v: PolicyVersion) => {
      const list = this.versions.get(v.tenant) ?? [];
      list.unshift(v);
      this.versions.set(v.tenant, list);
    });
  }

  static open(dir: string): FilePolicyStore {
    return new FilePolicyStore(dir);
  }

  async current(tenant: string): Promise<PolicyVersion> {
    return this.versions.get(tenant)?.[0] ?? defaultFor(tenant);
  }

  async history(tenant: string): Promise<PolicyVersion[]> {
    return [...(this.versions.get(tenant) ?? [])];
  }

  async set(tenant: string, policy: TenantPolicy, setBy: string, at = new Date()): Promise<PolicyVersion> {
    const v = { tenant, version: (await this.current(tenant)).version + 1, policy, setAt: at.toISOString(), setBy };
    this.log.append(v);
    return v;
  }

  async all(): Promise<PolicyVersion[]> {
    return [...this.versions.values()].map((list) => list[0] as PolicyVersion);
  }

  async close(): Promise<void> {
    this.log.close();
  }
}

type Row = { tenant: string; version: string; policy: TenantPolicy; set_at: string; set_by: string };
const versionOf = (r: Row): PolicyVersion => ({
  tenant: r.tenant,
  version: Number(r.version),
  policy: r.policy,
  setAt: r.set_at,
  setBy: r.set_by,
});

/** The policies in PostgreSQL: every replica reads the version in force from the one table. */
export class PgPolicyStore implements PolicyStore {
  constructor(private readonly db: Database) {}

  async current(tenant: string): Promise<PolicyVersion> {
    const { rows } = await this.db.query<Row>("SELECT * FROM tenant_policies WHERE tenant = $1 ORDER BY version DESC LIMIT 1", [
      tenant,
    ]);
    return rows[0] ? versionOf(rows[0]) : defaultFor(tenant);
  }

  async history(tenant: string): Promise<PolicyVersion[]> {
    const { rows } = await this.db.query<Row>("SELECT * FROM tenant_policies WHERE tenant = $1 ORDER BY version DESC", [tenant]);
    return rows.map(versionOf);
  }

  async set(tenant: string, policy: TenantPolicy, setBy: string, at = new Date()): Promise<PolicyVersion> {
    return this.db.transaction(async (client) => {
      // Serialised per tenant: two gateways setting at once get versions n+1 and n+2, never two n+1.
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`policy:${tenant}`]);
      const { rows } = await client.query<Row>(
        `INSERT INTO tenant_policies (tenant, version, policy, set_at, set_by)
         SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4 FROM tenant_policies WHERE tenant = $1
         RETURNING *`,
        [tenant, JSON.stringify(policy), at.toISOString(), setBy],
      );
      return versionOf(rows[0] as Row);
    });
  }

  async all(): Promise<PolicyVersion[]> {
    const { rows } = await this.db.query<Row>("SELECT DISTINCT ON (tenant) * FROM tenant_policies ORDER BY tenant, version DESC");
    return rows.map(versionOf);
  }

  async close(): Promise<void> {}
}
