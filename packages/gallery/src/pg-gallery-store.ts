import { Database, Follower, type Queryable, type Watch } from "@facerec/storage";
import {
  type ConsentRecord,
  type GalleryStore,
  NotFoundError,
  type StoredTemplate,
  type Subject,
  type SubjectState,
  type Template,
  vectorBytes,
  vectorOf,
} from "./gallery-store.js";

/** Rows per statement when templates are written or loaded in bulk. */
const BATCH = 2000;

type SubjectRow = {
  tenant: string;
  id: string;
  name: string;
  metadata: Record<string, string>;
  created_at: string;
  consent: ConsentRecord | null;
};
type TemplateRow = {
  tenant: string;
  id: string;
  subject: string;
  model: string;
  quality: number;
  created_at: string;
  embedding: Buffer;
  has_crop: boolean;
};

const subjectOf = (r: SubjectRow): Subject => ({
  id: r.id,
  tenant: r.tenant,
  name: r.name,
  metadata: r.metadata,
  createdAt: r.created_at,
  ...(r.consent ? { consent: r.consent } : {}),
});

const templateOf = (r: TemplateRow): StoredTemplate => ({
  id: r.id,
  tenant: r.tenant,
  subject: r.subject,
  model: r.model,
  quality: r.quality,
  createdAt: r.created_at,
  vector: vectorOf(r.embedding),
  ...(r.has_crop ? { crop: "db" } : {}),
});

/** A template's columns (the crop only as whether there is one), optionally qualified by a table alias. */
const columns = (t = ""): string =>
  `${["tenant", "id", "subject", "model", "quality", "created_at", "embedding"].map((c) => t + c).join(", ")}, ${t}crop IS NOT NULL AS has_crop`;

/**
 * The gallery in PostgreSQL, shared by every gateway, matcher and job runner of a deployment. Each
 * write records which subject changed (Database.recordChange); replicas re-read those subjects.
 */
export class PgGalleryStore implements GalleryStore {
  private cursor = 0;

  constructor(private readonly db: Database) {}

  async load(): Promise<{ subjects: Subject[]; templates: StoredTemplate[] }> {
    // The cursor first: a change committed between the reads is applied again, never missed.
    this.cursor = await this.db.lastChange("subject");
    const subjects = (await this.db.query<SubjectRow>("SELECT * FROM subjects")).rows.map(subjectOf);
    const templates: StoredTemplate[] = [];
    let after = ["", ""];
    for (;;) {
      const { rows } = await this.db.query<TemplateRow>(
        `SELECT ${columns()} FROM templates WHERE (tenant, id) > ($1, $2) ORDER BY tenant, id LIMIT $3`,
        [...after, BATCH],
      );
      templates.push(...rows.map(templateOf));
      const last = rows.at(-1);
      if (!last || rows.length < BATCH) break;
      after = [last.tenant, last.id];
    }
    return { subjects, templates };
  }

  async createSubject(s: Subject): Promise<void> {
    await this.db.transaction(async (client) => {
      await client.query(
        "INSERT INTO subjects (tenant, id, name, metadata, created_at, consent) VALUES ($1, $2, $3, $4, $5, $6)",
        [s.tenant, s.id, s.name, s.metadata, s.createdAt, s.consent ?? null],
      );
      await Database.recordChange(client, "subject", s.tenant, s.id);
    });
  }

  async updateSubject(s: Subject): Promise<void> {
    await this.db.transaction(async (client) => {
      const { rowCount } = await client.query(
        "UPDATE subjects SET name = $3, metadata = $4, consent = $5 WHERE tenant = $1 AND id = $2",
        [s.tenant, s.id, s.name, s.metadata, s.consent ?? null],
      );
      if (rowCount === 0) throw new NotFoundError(`no subject ${s.id} in this tenant`);
      await Database.recordChange(client, "subject", s.tenant, s.id);
    });
  }

  async addTemplates(items: readonly { template: StoredTemplate; crop?: Uint8Array }[]): Promise<StoredTemplate[]> {
    await this.db.transaction(async (client) => {
      const subjects = new Map(items.map(({ template: t }) => [`${t.tenant}\u0000${t.subject}`, t]));
      for (const t of subjects.values()) {
        // Locks the subject's row, so an erasure waits for this write or comes before it.
        const { rowCount } = await client.query("SELECT 1 FROM subjects WHERE tenant = $1 AND id = $2 FOR SHARE", [
          t.tenant,
          t.subject,
        ]);
        if (rowCount === 0) throw new NotFoundError(`no subject ${t.subject} in this tenant`);
      }
      for (let i = 0; i < items.length; i += BATCH) await insertTemplates(client, items.slice(i, i + BATCH));
      for (const t of subjects.values()) await Database.recordChange(client, "subject", t.tenant, t.subject);
    });
    return items.map(({ template, crop }) => (crop ? { ...template, crop: "db" } : template));
  }

  async erase(tenant: string, subject: string): Promise<{ templates: number }> {
    return this.db.transaction(async (client) => {
      const templates = await client.query("DELETE FROM templates WHERE tenant = $1 AND subject = $2", [tenant, subject]);
      const subjects = await client.query("DELETE FROM subjects WHERE tenant = $1 AND id = $2", [tenant, subject]);
      if (subjects.rowCount === 0) throw new NotFoundError(`no subject ${subject} in this tenant`);
      await Database.recordChange(client, "subject", tenant, subject, { erased: true });
      return { templates: templates.rowCount ?? 0 };
    });
  }

  wasErased(tenant: string, subject: string): Promise<boolean> {
    return this.db.wasErased("subject", tenant, subject);
  }

  onRollback(undo: () => void): void {
    this.db.onRollback(undo);
  }

  async stateOf(tenant: string, id: string): Promise<SubjectState> {
    return (await this.states([{ tenant, ref: id }]))[0] as SubjectState;
  }

  async crop(template: Template): Promise<Buffer | undefined> {
    if (!template.crop) return undefined;
    const { rows } = await this.db.query<{ crop: Buffer | null }>("SELECT crop FROM templates WHERE tenant = $1 AND id = $2", [
      template.tenant,
      template.id,
    ]);
    return rows[0]?.crop ?? undefined;
  }

  /** The named subjects as they are now (those erased come back without `subject`). */
  private async states(refs: readonly { tenant: string; ref: string }[]): Promise<SubjectState[]> {
    const tenants = refs.map((r) => r.tenant);
    const ids = refs.map((r) => r.ref);
    const pairs = "SELECT * FROM unnest($1::text[], $2::text[]) AS p(tenant, id)";
    const subjects = await this.db.query<SubjectRow>(`SELECT s.* FROM subjects s JOIN (${pairs}) p USING (tenant, id)`, [
      tenants,
      ids,
    ]);
    const templates = await this.db.query<TemplateRow>(
      `SELECT ${columns("t.")} FROM templates t JOIN (${pairs}) p ON t.tenant = p.tenant AND t.subject = p.id`,
      [tenants, ids],
    );
    const key = (tenant: string, id: string) => `${tenant}\u0000${id}`;
    const bySubject = new Map<string, StoredTemplate[]>();
    for (const r of templates.rows) {
      const k = key(r.tenant, r.subject);
      bySubject.set(k, [...(bySubject.get(k) ?? []), templateOf(r)]);
    }
    const found = new Map(subjects.rows.map((r) => [key(r.tenant, r.id), subjectOf(r)]));
    return refs.map(({ tenant, ref }) => {
      const subject = found.get(key(tenant, ref));
      return { tenant, id: ref, ...(subject ? { subject } : {}), templates: bySubject.get(key(tenant, ref)) ?? [] };
    });
  }

  watch(onChanged: (states: SubjectState[]) => Promise<void>): Watch {
    const follower = new Follower(this.db, "subject", async () => {
      for (;;) {
        const changes = await this.db.changesSince("subject", this.cursor);
        if (changes.length === 0) return;
        const refs = [...new Map(changes.map((c) => [`${c.tenant}\u0000${c.ref}`, c])).values()];
        await onChanged(await this.states(refs));
        this.cursor = changes.at(-1)?.sequence ?? this.cursor;
      }
    });
    follower.start();
    return follower;
  }

  async close(): Promise<void> {}
}

async function insertTemplates(
  client: Queryable,
  items: readonly { template: StoredTemplate; crop?: Uint8Array }[],
): Promise<void> {
  const values: unknown[] = [];
  const rows = items.map(({ template: t, crop }) => {
    values.push(
      t.tenant,
      t.id,
      t.subject,
      t.model,
      t.quality,
      t.createdAt,
      vectorBytes(t.vector),
      crop ? Buffer.from(crop) : null,
    );
    const n = values.length;
    return `(${Array.from({ length: 8 }, (_, i) => `$${n - 7 + i}`).join(", ")})`;
  });
  await client.query(
    `INSERT INTO templates (tenant, id, subject, model, quality, created_at, embedding, crop) VALUES ${rows.join(", ")}`,
    values,
  );
}
