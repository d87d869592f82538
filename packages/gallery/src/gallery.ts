import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cosine } from "@facerec/vision";
import { aggregate, DEFAULT_POLICY, type Decision, type DecisionPolicy, decide } from "./decide.js";
import { EmbeddedIndex } from "./embedded-index.js";
import { RecordLog } from "./record-log.js";
import { DEFAULT_THRESHOLD_OPTIONS, SubjectThresholds, type ThresholdOptions } from "./subject-thresholds.js";
import type { IndexFilter, VectorIndex } from "./types.js";

export interface Subject {
  id: string;
  tenant: string;
  name: string;
  metadata: Record<string, string>;
  createdAt: string;
}

export interface Template {
  id: string;
  tenant: string;
  subject: string;
  model: string;
  quality: number;
  createdAt: string;
  /** File name of the retained aligned crop, when crops are kept (see GalleryOptions.retainCrops). */
  crop?: string;
}

export interface NewTemplate {
  vector: Float32Array;
  quality: number;
  /** PNG bytes of the aligned 112x112 crop; stored only when the gallery retains crops. */
  crop?: Uint8Array;
}

export interface GalleryOptions {
  /** Folder for subjects, templates, the embedded index and retained crops; omit for memory only. */
  dir?: string;
  dims: number;
  /** Another vector index (Qdrant) instead of the embedded one. */
  index?: VectorIndex;
  thresholds: Omit<ThresholdOptions, "global"> & { global: number };
  policy?: Partial<DecisionPolicy>;
  /**
   * Keep aligned face crops so that templates can be re-embedded after a model upgrade. Off by default:
   * data minimisation keeps only embeddings.
   */
  retainCrops?: boolean;
}

export class NotFoundError extends Error {
  override readonly name = "NotFoundError";
}

type Event =
  | { op: "subject"; subject: Subject }
  | { op: "template"; template: Template }
  | { op: "erase"; tenant: string; subject: string };

/**
 * Subjects and their templates, per tenant and embedding model, with decisions by per-subject thresholds.
 * Every lookup is by tenant and id together, so no call can reach another tenant's subject.
 */
/** Above this many subjects in one enrolment, thresholds are rebuilt for the partition instead of refreshed. */
const BULK_REBUILD = 200;

export class Gallery {
  private readonly subjects = new Map<string, Subject>();
  private readonly templates = new Map<string, Template[]>();
  private readonly thresholds = new Map<string, SubjectThresholds>();
  readonly policy: DecisionPolicy;

  private constructor(
    readonly index: VectorIndex,
    private readonly log: RecordLog | undefined,
    private readonly options: GalleryOptions,
  ) {
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
  }

  static async open(options: GalleryOptions): Promise<Gallery> {
    const index =
      options.index ??
      (await EmbeddedIndex.open({ dims: options.dims, ...(options.dir ? { dir: join(options.dir, "index") } : {}) }));
    let log: RecordLog | undefined;
    const events: Event[] = [];
    if (options.dir) {
      mkdirSync(options.dir, { recursive: true });
      log = RecordLog.open(join(options.dir, "gallery.log"), (r) => events.push(JSON.parse(r.toString()) as Event)).log;
    }
    const gallery = new Gallery(index, log, options);
    for (const e of events) gallery.apply(e);
    for (const [key, subjects] of gallery.subjectsByPartition()) {
      const [tenant = "", model = ""] = key.split("\u0000");
      await (await gallery.thresholdsFor({ tenant, model })).rebuild(subjects);
    }
    return gallery;
  }

  private key(tenant: string, id: string): string {
    return `${tenant}\u0000${id}`;
  }

  private apply(e: Event): void {
    if (e.op === "subject") this.subjects.set(this.key(e.subject.tenant, e.subject.id), e.subject);
    if (e.op === "template") {
      const k = this.key(e.template.tenant, e.template.subject);
      this.templates.set(k, [...(this.templates.get(k) ?? []), e.template]);
    }
    if (e.op === "erase") {
      this.subjects.delete(this.key(e.tenant, e.subject));
      this.templates.delete(this.key(e.tenant, e.subject));
    }
  }

  private record(events: Event[]): void {
    this.log?.append(events.map((e) => Buffer.from(JSON.stringify(e))));
    for (const e of events) this.apply(e);
  }

  private subjectsByPartition(): Map<string, string[]> {
    const out = new Map<string, Set<string>>();
    for (const list of this.templates.values()) {
      for (const t of list) {
        const k = this.key(t.tenant, t.model);
        out.set(k, (out.get(k) ?? new Set()).add(t.subject));
      }
    }
    return new Map([...out].map(([k, v]) => [k, [...v]]));
  }

  private async thresholdsFor(filter: IndexFilter): Promise<SubjectThresholds> {
    const k = this.key(filter.tenant, filter.model);
    let t = this.thresholds.get(k);
    if (!t) {
      t = await SubjectThresholds.create(this.index, filter, this.options.dims, {
        ...DEFAULT_THRESHOLD_OPTIONS,
        ...this.options.thresholds,
      });
      this.thresholds.set(k, t);
    }
    return t;
  }

  createSubject(tenant: string, name: string, metadata: Record<string, string> = {}): Subject {
    const subject: Subject = { id: randomUUID(), tenant, name, metadata, createdAt: new Date().toISOString() };
    this.record([{ op: "subject", subject }]);
    return subject;
  }

  /** Rename a subject or replace its metadata; its templates and thresholds are untouched. */
  updateSubject(tenant: string, id: string, change: { name?: string; metadata?: Record<string, string> }): Subject {
    const subject: Subject = { ...this.getSubject(tenant, id), ...change };
    this.record([{ op: "subject", subject }]);
    return subject;
  }

  getSubject(tenant: string, id: string): Subject {
    const s = this.subjects.get(this.key(tenant, id));
    if (!s) throw new NotFoundError(`no subject ${id} in this tenant`);
    return s;
  }

  listSubjects(tenant: string): Subject[] {
    return [...this.subjects.values()].filter((s) => s.tenant === tenant);
  }

  templatesOf(tenant: string, subject: string): Template[] {
    this.getSubject(tenant, subject);
    return this.templates.get(this.key(tenant, subject)) ?? [];
  }

  /** Add templates to a subject; its threshold and those of the subjects near it are recomputed. */
  async enrol(tenant: string, subject: string, model: string, items: readonly NewTemplate[]): Promise<Template[]> {
    return (await this.enrolMany(tenant, model, [{ subject, items }]))[0] as Template[];
  }

  /**
   * Add templates to many subjects in one write (bulk enrolment): one index upsert and one log append.
   * A small batch refreshes the thresholds of its subjects and their neighbours; a large one rebuilds
   * the partition's thresholds in one pass, which is cheaper than refreshing subject by subject.
   */
  async enrolMany(
    tenant: string,
    model: string,
    batch: readonly { subject: string; items: readonly NewTemplate[] }[],
  ): Promise<Template[][]> {
    for (const { subject } of batch) this.getSubject(tenant, subject);
    const now = new Date().toISOString();
    const enrolled = batch.map(({ subject, items }) =>
      items.map((item) => {
        const t: Template = { id: randomUUID(), tenant, subject, model, quality: item.quality, createdAt: now };
        if (this.options.retainCrops && this.options.dir && item.crop) {
          const dir = join(this.options.dir, "crops", tenant);
          mkdirSync(dir, { recursive: true });
          t.crop = `${t.id}.png`;
          writeFileSync(join(dir, t.crop), item.crop);
        }
        return { template: t, vector: item.vector };
      }),
    );
    const all = enrolled.flat();
    await this.index.upsert(all.map(({ template: t, vector }) => ({ id: t.id, tenant, model, subject: t.subject, vector })));
    this.record(all.map(({ template }) => ({ op: "template" as const, template })));
    const thresholds = await this.thresholdsFor({ tenant, model });
    const subjects = [...new Set(batch.map((b) => b.subject))];
    if (subjects.length <= BULK_REBUILD) await thresholds.refresh(subjects);
    else await thresholds.rebuild(this.subjectsByPartition().get(this.key(tenant, model)) ?? subjects);
    return enrolled.map((list) => list.map(({ template }) => template));
  }

  /** How much the gallery holds, for metrics. */
  stats(): { subjects: number; templates: number } {
    let templates = 0;
    for (const list of this.templates.values()) templates += list.length;
    return { subjects: this.subjects.size, templates };
  }

  /** Recompute every subject's threshold in a tenant's partition from the vectors as they are now. */
  async recalibrate(tenant: string, model: string): Promise<number> {
    const subjects = this.subjectsByPartition().get(this.key(tenant, model)) ?? [];
    await (await this.thresholdsFor({ tenant, model })).rebuild(subjects);
    return subjects.length;
  }

  /** The retained aligned crop of a template (PNG bytes), when the gallery keeps crops. */
  cropOf(template: Template): Buffer | undefined {
    if (!template.crop || !this.options.dir) return undefined;
    return readFileSync(join(this.options.dir, "crops", template.tenant, template.crop));
  }

  /** Erase a subject: its vectors in every model, its templates, its retained crops, its record. */
  async deleteSubject(tenant: string, subject: string): Promise<{ templates: number }> {
    const templates = this.templatesOf(tenant, subject);
    await this.index.deleteSubject(tenant, subject);
    if (this.options.dir) {
      for (const t of templates) if (t.crop) rmSync(join(this.options.dir, "crops", tenant, t.crop), { force: true });
    }
    this.record([{ op: "erase", tenant, subject }]);
    for (const model of new Set(templates.map((t) => t.model))) {
      await (await this.thresholdsFor({ tenant, model })).refresh([subject]);
    }
    return { templates: templates.length };
  }

  thresholdOf(tenant: string, model: string, subject: string): number {
    return this.thresholds.get(this.key(tenant, model))?.thresholdOf(subject) ?? this.options.thresholds.global;
  }

  /** 1:N: who is this, or nobody enrolled. */
  async identify(
    tenant: string,
    model: string,
    vector: Float32Array,
    gates: { quality?: number; liveness?: number } = {},
  ): Promise<Decision> {
    const k = Math.max(50, this.policy.topK * 4);
    const hits =
      this.policy.aggregation === "centroid"
        ? await (await this.thresholdsFor({ tenant, model })).searchCentroids(vector, k)
        : await this.index.search(vector, k, { tenant, model });
    return decide(hits, (s) => this.thresholdOf(tenant, model, s), this.policy, gates);
  }

  /** 1:1: is this the given subject. */
  async verify(
    tenant: string,
    model: string,
    subject: string,
    vector: Float32Array,
  ): Promise<{ match: boolean; score: number; threshold: number }> {
    const vectors = await this.index.subjectVectors({ tenant, model }, subject);
    if (this.templatesOf(tenant, subject).length === 0 || vectors.length === 0) {
      throw new NotFoundError(`subject ${subject} has no ${model} templates`);
    }
    const centroid =
      this.policy.aggregation === "centroid"
        ? await (await this.thresholdsFor({ tenant, model })).centroidOf(subject)
        : undefined;
    const hits = (centroid ? [centroid] : vectors).map((v, i) => ({ id: String(i), subject, score: cosine(v, vector) }));
    const score = aggregate(hits, this.policy.aggregation).get(subject) ?? -1;
    const threshold = this.thresholdOf(tenant, model, subject);
    return { match: score >= threshold, score, threshold };
  }

  async close(): Promise<void> {
    this.log?.close();
    await this.index.close();
  }
}
