import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NO_WATCH, RecordLog, syncDir, Transaction, type Watch } from "@facerec/storage";
import { EmbeddedIndex } from "./embedded-index.js";
import {
  type GalleryStore,
  NotFoundError,
  type StoredTemplate,
  type Subject,
  type SubjectState,
  type Template,
  vectorBytes,
  vectorOf,
} from "./gallery-store.js";

type JsonEvent =
  | { op: "subject"; subject: Subject }
  /** Written before embeddings lived in this log: the vector is in the old index log. */
  | { op: "template"; template: Template }
  /** An erasure as appended; the rewrite that follows keeps only its tombstone. */
  | { op: "erase"; tenant: string; subject: string }
  /** That a subject was erased, by a hash of its id: a retried erasure is told it is done, and no file names it. */
  | { op: "erased"; tombstone: string };

/** A template record: this tag, the metadata's length (u32), the metadata as JSON, the float32 vector. */
const TEMPLATE = 0x01;

function encodeTemplate(t: StoredTemplate): Buffer {
  const { vector, ...meta } = t;
  const json = Buffer.from(JSON.stringify(meta));
  const head = Buffer.alloc(5);
  head.writeUInt8(TEMPLATE, 0);
  head.writeUInt32LE(json.length, 1);
  return Buffer.concat([head, json, vectorBytes(vector)]);
}

const key = (tenant: string, id: string): string => `${tenant}\u0000${id}`;

const tombstoneOf = (tenant: string, subject: string): string => createHash("sha256").update(key(tenant, subject)).digest("hex");

/**
 * The gallery in one local folder (embedded mode): a crash-safe record log of subjects, templates
 * with their embeddings and erasures, and retained crops as files. One process owns the folder.
 */
export class FileGalleryStore implements GalleryStore {
  private readonly subjects = new Map<string, Subject>();
  private readonly templates = new Map<string, Map<string, StoredTemplate>>();
  private readonly erased = new Set<string>();
  private readonly legacy: Template[] = [];
  /** An erasure record (which names its subject) was replayed: the log is to be rewritten without it. */
  private unrewritten = false;

  private constructor(
    private readonly dir: string,
    private readonly log: RecordLog,
  ) {}

  /** Open the folder; `dims` reads embeddings that an earlier version kept in a separate index log. */
  static async open(dir: string, dims: number): Promise<FileGalleryStore> {
    mkdirSync(dir, { recursive: true });
    const records: Buffer[] = [];
    const { log } = RecordLog.open(join(dir, "gallery.log"), (r) => records.push(Buffer.from(r)));
    const store = new FileGalleryStore(dir, log);
    for (const r of records) store.replay(r);
    await store.adoptLegacyIndex(dims);
    // An erasure whose rewrite did not happen (a crash between the two) is finished now.
    if (store.unrewritten) store.compact();
    store.sweepCrops();
    return store;
  }

  /**
   * Delete crop files no template names: written for a change that a crash kept from committing, or
   * left by an erasure cut short. Nothing could reach them otherwise, not even the person's erasure.
   */
  private sweepCrops(): void {
    const root = join(this.dir, "crops");
    if (!existsSync(root)) return;
    const named = new Set<string>();
    for (const list of this.templates.values()) for (const t of list.values()) if (t.crop) named.add(join(t.tenant, t.crop));
    for (const tenant of readdirSync(root)) {
      for (const file of readdirSync(join(root, tenant))) {
        if (!named.has(join(tenant, file))) rmSync(join(root, tenant, file), { force: true });
      }
    }
  }

  private replay(r: Buffer): void {
    if (r[0] === TEMPLATE) {
      const length = r.readUInt32LE(1);
      const meta = JSON.parse(r.subarray(5, 5 + length).toString()) as Template;
      this.applyTemplate({ ...meta, vector: vectorOf(r.subarray(5 + length)) });
      return;
    }
    const e = JSON.parse(r.toString()) as JsonEvent;
    if (e.op === "subject") this.subjects.set(key(e.subject.tenant, e.subject.id), e.subject);
    else if (e.op === "template") this.legacy.push(e.template);
    else if (e.op === "erased") this.erased.add(e.tombstone);
    else {
      this.applyErase(e.tenant, e.subject);
      this.unrewritten = true;
    }
  }

  private applyTemplate(t: StoredTemplate): void {
    const k = key(t.tenant, t.subject);
    const list = this.templates.get(k) ?? new Map<string, StoredTemplate>();
    list.set(t.id, t);
    this.templates.set(k, list);
  }

  private applyErase(tenant: string, subject: string): void {
    const k = key(tenant, subject);
    this.subjects.delete(k);
    this.templates.delete(k);
    this.erased.add(tombstoneOf(tenant, subject));
  }

  /**
   * Galleries written before embeddings lived here kept them in `index/index.log`: copy each
   * template's vector into this log once (fsync'd), then delete the old folder. Kept aside, it would
   * hold the embeddings of people erased later, where no erasure reaches.
   */
  private async adoptLegacyIndex(dims: number): Promise<void> {
    const old = join(this.dir, "index");
    if (this.legacy.length === 0 || !existsSync(join(old, "index.log"))) return;
    const index = await EmbeddedIndex.open({ dims, dir: old });
    const vectors = new Map([...index.points()].map((p) => [p.id, p.vector]));
    await index.close();
    const adopted = this.legacy.flatMap((t) => {
      const vector = vectors.get(t.id);
      return vector && this.subjects.has(key(t.tenant, t.subject)) ? [{ ...t, vector }] : [];
    });
    this.log.append(adopted.map(encodeTemplate));
    for (const t of adopted) this.applyTemplate(t);
    this.compact();
    rmSync(old, { recursive: true, force: true });
    syncDir(this.dir);
  }

  async load(): Promise<{ subjects: Subject[]; templates: StoredTemplate[] }> {
    return {
      subjects: [...this.subjects.values()],
      templates: [...this.templates.values()].flatMap((m) => [...m.values()]),
    };
  }

  async createSubject(subject: Subject): Promise<void> {
    this.log.append([Buffer.from(JSON.stringify({ op: "subject", subject }))]);
    this.subjects.set(key(subject.tenant, subject.id), subject);
  }

  async updateSubject(subject: Subject): Promise<void> {
    if (!this.subjects.has(key(subject.tenant, subject.id))) throw new NotFoundError(`no subject ${subject.id} in this tenant`);
    await this.createSubject(subject);
  }

  private cropPath(tenant: string, file: string): string {
    return join(this.dir, "crops", tenant, file);
  }

  async addTemplates(items: readonly { template: StoredTemplate; crop?: Uint8Array }[]): Promise<StoredTemplate[]> {
    for (const { template: t } of items) {
      if (!this.subjects.has(key(t.tenant, t.subject))) throw new NotFoundError(`no subject ${t.subject} in this tenant`);
    }
    const stored = items.map(({ template, crop }) => {
      if (!crop) return template;
      const file = `${template.id}.png`;
      mkdirSync(join(this.dir, "crops", template.tenant), { recursive: true });
      writeFileSync(this.cropPath(template.tenant, file), crop);
      return { ...template, crop: file };
    });
    this.log.append(stored.map(encodeTemplate));
    for (const t of stored) this.applyTemplate(t);
    return stored;
  }

  async erase(tenant: string, subject: string): Promise<{ templates: number }> {
    const k = key(tenant, subject);
    if (!this.subjects.has(k)) throw new NotFoundError(`no subject ${subject} in this tenant`);
    const templates = [...(this.templates.get(k)?.values() ?? [])];
    // The record first: a crash after it leaves only orphaned crop files, never a half-erased subject.
    this.log.append([Buffer.from(JSON.stringify({ op: "erase", tenant, subject }))]);
    this.applyErase(tenant, subject);
    Transaction.whenCommitted(() => {
      for (const t of templates) if (t.crop) rmSync(this.cropPath(tenant, t.crop), { force: true });
    });
    // The erased embeddings are still in the log's earlier records: rewrite it without them.
    this.compact();
    return { templates: templates.length };
  }

  /** Rewrite the log with what is live (subjects, templates, erasure tombstones). */
  private compact(): void {
    const json = (e: JsonEvent) => Buffer.from(JSON.stringify(e));
    this.log.rewrite([
      ...[...this.erased].map((tombstone) => json({ op: "erased", tombstone })),
      ...[...this.subjects.values()].map((subject) => json({ op: "subject", subject })),
      ...[...this.templates.values()].flatMap((m) => [...m.values()].map(encodeTemplate)),
    ]);
    this.unrewritten = false;
  }

  /** Every write here is durable when it returns: there is no transaction to roll back. */
  onRollback(): void {}

  async stateOf(tenant: string, id: string): Promise<SubjectState> {
    const subject = this.subjects.get(key(tenant, id));
    return { tenant, id, ...(subject ? { subject } : {}), templates: [...(this.templates.get(key(tenant, id))?.values() ?? [])] };
  }

  async wasErased(tenant: string, subject: string): Promise<boolean> {
    return this.erased.has(tombstoneOf(tenant, subject));
  }

  async crop(template: Template): Promise<Buffer | undefined> {
    if (!template.crop) return undefined;
    const path = this.cropPath(template.tenant, template.crop);
    return existsSync(path) ? readFileSync(path) : undefined;
  }

  watch(): Watch {
    return NO_WATCH;
  }

  async close(): Promise<void> {
    this.log.close();
  }
}
