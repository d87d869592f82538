import { randomUUID } from "node:crypto";
import { cosine, Mutex } from "@facerec/common";
import type { Watch } from "@facerec/storage";
import { aggregate, DEFAULT_POLICY, type Decision, type DecisionPolicy, decide, type Gates } from "./decide.js";
import { EmbeddedIndex } from "./embedded-index.js";
import type { GalleryOptions, NewTemplate } from "./gallery-options.js";
import {
  type ConsentRecord,
  type GalleryStore,
  NotFoundError,
  type StoredTemplate,
  type Subject,
  type SubjectState,
  type Template,
} from "./gallery-store.js";
import { Holdings, keyOf, withoutVector } from "./holdings.js";
import { isNegative, negativeModel, overrulingNegative } from "./negatives.js";
import {
  DEFAULT_THRESHOLD_OPTIONS,
  type GlobalThreshold,
  globalAt,
  SubjectThresholds,
  type ThresholdExplanation,
} from "./subject-thresholds.js";
import { chooseTemplates, type Enrolled, TEMPLATE_DEFAULTS } from "./template-rules.js";
import type { IndexFilter, IndexPoint, VectorIndex } from "./types.js";

/** Above this many subjects in one enrolment, thresholds are rebuilt for the partition instead of refreshed. */
const BULK_REBUILD = 200;

/**
 * Subjects and their templates, per tenant and embedding model, with decisions by per-subject thresholds.
 * Every lookup is by tenant and id together, so no call can reach another tenant's subject.
 *
 * The store is the system of record; this object is a replica of it: reads and decisions come from
 * memory, every write goes to the store first, and changes made by other replicas arrive through the
 * store's watch. Writes and applied changes run one at a time.
 */
export class Gallery {
  private readonly held = new Holdings();
  private readonly thresholds = new Map<string, Promise<SubjectThresholds>>();
  private readonly readyThresholds = new Map<string, SubjectThresholds>();
  /** Global thresholds of tenants whose policy targets another false-match rate (setGlobalThreshold). */
  private readonly tenantGlobals = new Map<string, GlobalThreshold>();
  private readonly mutex = new Mutex();
  private watching: Watch | undefined;
  readonly policy: DecisionPolicy;

  private constructor(
    readonly index: VectorIndex,
    /** Whether this process owns `index` (in memory) and so keeps it in step with other replicas' changes. */
    private readonly ownIndex: boolean,
    private readonly store: GalleryStore,
    private readonly options: GalleryOptions,
  ) {
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
  }

  /** Whether aligned crops are kept (templates', and the review queue's faces). */
  get retainsCrops(): boolean {
    return this.options.retainCrops === true;
  }

  static async open(options: GalleryOptions): Promise<Gallery> {
    const ownIndex = !options.index;
    const index =
      options.index ??
      (await EmbeddedIndex.open({
        dims: options.dims,
        ...(options.ann !== undefined ? { ann: options.ann } : {}),
      }));
    const gallery = new Gallery(index, ownIndex, options.store, options);
    const { subjects, templates } = await options.store.load();
    for (const s of subjects) gallery.held.setSubject(s);
    const live = templates.filter((t) => gallery.held.subject(t.tenant, t.subject));
    gallery.held.addTemplates(live);
    if (ownIndex) await (index as EmbeddedIndex).upsertAll(live.map(pointOf));
    for (const [key, list] of gallery.held.subjectsByPartition()) {
      const [tenant = "", model = ""] = key.split("\u0000");
      await (await gallery.thresholdsFor({ tenant, model })).rebuild(list);
    }
    gallery.watching = options.store.watch((states) => gallery.mutex.run(() => gallery.applyStates(states)));
    return gallery;
  }

  /** Apply other replicas' changes: subjects as they are now in the store. */
  private async applyStates(states: readonly SubjectState[]): Promise<void> {
    const touched = new Map<string, Set<string>>();
    const touch = (tenant: string, model: string, subject: string) => {
      const k = keyOf(tenant, model);
      touched.set(k, (touched.get(k) ?? new Set()).add(subject));
    };
    for (const state of states) {
      if (!state.subject) {
        if (!this.held.subject(state.tenant, state.id) && this.held.templatesOf(state.tenant, state.id).length === 0) continue;
        const dropped = this.held.drop(state.tenant, state.id);
        if (this.ownIndex) await this.index.deleteSubject(state.tenant, state.id);
        for (const t of dropped) touch(t.tenant, t.model, t.subject);
        continue;
      }
      this.held.setSubject(state.subject);
      const holding = this.held.templatesOf(state.tenant, state.id);
      const fresh = state.templates.filter((t) => !holding.some((x) => x.id === t.id));
      if (fresh.length === 0) continue;
      if (this.ownIndex) await this.index.upsert(fresh.map(pointOf));
      this.held.addTemplates(fresh);
      for (const t of fresh) touch(t.tenant, t.model, t.subject);
    }
    for (const [k, subjects] of touched) {
      const [tenant = "", model = ""] = k.split("\u0000");
      await (await this.thresholdsFor({ tenant, model })).refresh([...subjects]);
    }
  }

  /**
   * Where the store's write joined a transaction that then rolled back (the operation's audit entry
   * could not be written), this replica takes the subjects back as they are stored.
   */
  private restoreOnRollback(tenant: string, subjects: readonly string[]): void {
    this.store.onRollback(() => {
      this.mutex
        .run(async () => {
          for (const id of subjects) {
            const models = new Set(this.held.drop(tenant, id).map((t) => t.model));
            if (this.ownIndex) await this.index.deleteSubject(tenant, id);
            await this.applyStates([await this.store.stateOf(tenant, id)]);
            for (const t of this.held.templatesOf(tenant, id)) models.add(t.model);
            for (const model of models) await (await this.thresholdsFor({ tenant, model })).refresh([id]);
          }
        })
        // The replica then disagrees with the store until it restarts: said, never hidden.
        .catch((error) => console.error(`could not reload subjects of ${tenant} after a rollback; restart to reload`, error));
    });
  }

  /** Catch up with every change other replicas have made so far. */
  async sync(): Promise<void> {
    await this.watching?.sync();
  }

  /**
   * The partition's thresholds, created once: the promise is kept at once, so a decision and an
   * applied change that both ask first share one object (two would leave one of them empty).
   */
  private thresholdsFor(filter: IndexFilter): Promise<SubjectThresholds> {
    const k = keyOf(filter.tenant, filter.model);
    let t = this.thresholds.get(k);
    if (!t) {
      t = SubjectThresholds.create(
        this.index,
        filter,
        this.options.dims,
        { ...DEFAULT_THRESHOLD_OPTIONS, ...this.options.thresholds },
        this.options.ann,
      ).then((created) => {
        // Read when it is ready: a tenant's threshold set meanwhile is not lost.
        created.setGlobal(this.globalOf(k));
        this.readyThresholds.set(k, created);
        return created;
      });
      this.thresholds.set(k, t);
    }
    return t;
  }

  async createSubject(
    tenant: string,
    name: string,
    metadata: Record<string, string> = {},
    consent?: ConsentRecord,
  ): Promise<Subject> {
    const subject: Subject = {
      id: randomUUID(),
      tenant,
      name,
      metadata,
      createdAt: new Date().toISOString(),
      ...(consent ? { consent } : {}),
    };
    return this.mutex.run(async () => {
      await this.store.createSubject(subject);
      this.held.setSubject(subject);
      this.restoreOnRollback(tenant, [subject.id]);
      return subject;
    });
  }

  /** Rename a subject or replace its metadata; its templates and thresholds are untouched. */
  async updateSubject(
    tenant: string,
    id: string,
    change: { name?: string; metadata?: Record<string, string>; consent?: ConsentRecord },
  ): Promise<Subject> {
    const subject: Subject = { ...(await this.findSubject(tenant, id)), ...change };
    return this.mutex.run(async () => {
      await this.store.updateSubject(subject);
      this.held.setSubject(subject);
      this.restoreOnRollback(tenant, [id]);
      return subject;
    });
  }

  /** The subject as this replica holds it; NotFoundError otherwise. */
  getSubject(tenant: string, id: string): Subject {
    const s = this.held.subject(tenant, id);
    if (!s) throw new NotFoundError(`no subject ${id} in this tenant`);
    return s;
  }

  /** The subject if this replica holds it. */
  peekSubject(tenant: string, id: string): Subject | undefined {
    return this.held.subject(tenant, id);
  }

  /**
   * The subject, catching up with other replicas first when this one does not hold it: a subject
   * created through another gateway a moment ago is found, not refused.
   */
  async findSubject(tenant: string, id: string): Promise<Subject> {
    if (!this.held.subject(tenant, id)) await this.sync();
    return this.getSubject(tenant, id);
  }

  /** Whether the subject existed and was erased (an erase repeated after a crash is not an error). */
  wasErased(tenant: string, id: string): Promise<boolean> {
    return this.store.wasErased(tenant, id);
  }

  listSubjects(tenant: string): Subject[] {
    return this.held.subjectsOf(tenant);
  }

  /** The subject's templates (the faces it is recognised by). */
  templatesOf(tenant: string, subject: string): Template[] {
    this.getSubject(tenant, subject);
    return this.held.templatesOf(tenant, subject).filter((t) => !isNegative(t.model));
  }

  /** Faces marked "not this subject" by corrective feedback. */
  negativesOf(tenant: string, subject: string): Template[] {
    this.getSubject(tenant, subject);
    return this.held.templatesOf(tenant, subject).filter((t) => isNegative(t.model));
  }

  /**
   * Keep a face as "not this subject": stored and replicated like a template, in the model's negative
   * partition, and erased with the subject. A later probe at least as close to it as to the subject
   * (less DecisionPolicy.negativeMargin) does not match the subject. Undefined where it is a near-copy
   * of a negative already held (the same face marked twice), or the subject holds the most.
   */
  async addNegative(tenant: string, subject: string, model: string, item: NewTemplate): Promise<Template | undefined> {
    return (await this.enrol(tenant, subject, negativeModel(model), [item])).templates[0];
  }

  /**
   * Add templates to a subject; its threshold and those of the subjects near it are recomputed. A
   * near-copy of a template it holds, or one past its most (TemplateRules), is left out and said why.
   */
  async enrol(tenant: string, subject: string, model: string, items: readonly NewTemplate[]): Promise<Enrolled> {
    return (await this.enrolMany(tenant, model, [{ subject, items }]))[0] as Enrolled;
  }

  /**
   * Add templates to many subjects in one write (bulk enrolment): one store write and one index upsert.
   * A small batch refreshes the thresholds of its subjects and their neighbours; a large one rebuilds
   * the partition's thresholds in one pass, which is cheaper than refreshing subject by subject.
   */
  async enrolMany(
    tenant: string,
    model: string,
    batch: readonly { subject: string; items: readonly NewTemplate[] }[],
  ): Promise<Enrolled[]> {
    for (const { subject } of batch) await this.findSubject(tenant, subject);
    const rules = { ...TEMPLATE_DEFAULTS, ...this.options.templates };
    return this.mutex.run(async () => {
      const now = new Date().toISOString();
      // Chosen under the lock, against what each subject holds now (a concurrent enrolment included).
      const chosen = await Promise.all(
        batch.map(async ({ subject, items }) => {
          const held = await this.index.subjectVectors({ tenant, model }, subject);
          const { taken, skipped } = chooseTemplates(held, items, rules);
          const kept = taken.map((index) => {
            const item = items[index] as NewTemplate;
            const template: StoredTemplate = {
              id: randomUUID(),
              tenant,
              subject,
              model,
              quality: item.quality,
              createdAt: now,
              vector: item.vector,
            };
            return { template, ...(this.options.retainCrops && item.crop ? { crop: item.crop } : {}) };
          });
          return { kept, skipped };
        }),
      );
      const all = chosen.flatMap((c) => c.kept);
      // The store says where each retained crop went; memory holds the templates as stored.
      const stored = all.length ? await this.store.addTemplates(all) : [];
      if (stored.length) {
        await this.index.upsert(stored.map(pointOf));
        this.held.addTemplates(stored);
        const thresholds = await this.thresholdsFor({ tenant, model });
        const subjects = [...new Set(batch.map((b) => b.subject))];
        this.restoreOnRollback(tenant, subjects);
        if (subjects.length <= BULK_REBUILD) await thresholds.refresh(subjects);
        else await thresholds.rebuild(this.held.subjectsByPartition().get(keyOf(tenant, model)) ?? subjects);
      }
      let next = 0;
      return chosen.map(({ kept, skipped }) => ({
        templates: kept.map(() => withoutVector(stored[next++] as StoredTemplate)),
        skipped,
      }));
    });
  }

  /** How much the gallery holds, for metrics. */
  stats(): { subjects: number; templates: number } {
    return this.held.stats();
  }

  /** Recompute every subject's threshold in a tenant's partition from the vectors as they are now. */
  async recalibrate(tenant: string, model: string): Promise<number> {
    const subjects = this.held.subjectsByPartition().get(keyOf(tenant, model)) ?? [];
    await (await this.thresholdsFor({ tenant, model })).rebuild(subjects);
    return subjects.length;
  }

  /**
   * Reconcile the index with the store for one tenant's templates of `models`: upsert the templates
   * the index lacks and delete the points the store no longer has. For a shared index (Qdrant) that
   * lost data, or kept the vectors of an erasure whose writer died between the store and the index;
   * an in-memory index is loaded from the store at every start and needs it only after a fault.
   *
   * Other replicas keep writing meanwhile. The index is read before the store, and every write goes
   * to the store before the index, so a point missing from the later store read was erased, never one
   * just added; a subject erased while this upserts is deleted again once the upsert is done.
   */
  async reindex(tenant: string, models: readonly string[]): Promise<{ added: number; removed: number }> {
    const indexed = new Map<string, Set<string>>();
    for (const model of models) indexed.set(model, new Set(await this.index.ids({ tenant, model })));
    const { templates } = await this.store.load();
    const stored = templates.filter((t) => t.tenant === tenant && indexed.has(t.model));
    let removed = 0;
    for (const [model, ids] of indexed) {
      const live = new Set(stored.filter((t) => t.model === model).map((t) => t.id));
      const gone = [...ids].filter((id) => !live.has(id));
      if (gone.length) await this.index.delete({ tenant, model }, gone);
      removed += gone.length;
    }
    const missing = stored.filter((t) => !indexed.get(t.model)?.has(t.id));
    for (let i = 0; i < missing.length; i += 4096) await this.index.upsert(missing.slice(i, i + 4096).map(pointOf));
    for (const subject of new Set(missing.map((t) => t.subject))) {
      if (await this.store.wasErased(tenant, subject)) await this.index.deleteSubject(tenant, subject);
    }
    for (const model of models) await this.recalibrate(tenant, model);
    return { added: missing.length, removed };
  }

  /** The retained aligned crop of a template (PNG bytes), when the gallery keeps crops. */
  cropOf(template: Template): Promise<Buffer | undefined> {
    return this.store.crop(template);
  }

  /**
   * Erase a subject everywhere in one operation: its record, templates and retained crops in the
   * store, then its vectors in the index; other replicas drop it when the change reaches them.
   */
  async deleteSubject(tenant: string, subject: string): Promise<{ templates: number }> {
    await this.findSubject(tenant, subject);
    return this.mutex.run(async () => {
      const { templates } = await this.store.erase(tenant, subject);
      await this.index.deleteSubject(tenant, subject);
      const dropped = this.held.drop(tenant, subject);
      this.restoreOnRollback(tenant, [subject]);
      for (const model of new Set(dropped.map((t) => t.model))) {
        await (await this.thresholdsFor({ tenant, model })).refresh([subject]);
      }
      return { templates };
    });
  }

  /** Why the subject's threshold for `model` is what it is (undefined while it has no templates of it). */
  explainThreshold(tenant: string, model: string, subject: string): ThresholdExplanation | undefined {
    return this.readyThresholds.get(keyOf(tenant, model))?.explain(subject);
  }

  /** `subject`'s threshold against the whole gallery, or against itself alone (`oneToOne`: a 1:1 claim). */
  thresholdOf(tenant: string, model: string, subject: string, oneToOne = false): number {
    const k = keyOf(tenant, model);
    const ready = this.readyThresholds.get(k);
    return ready ? ready.thresholdOf(subject, oneToOne ? 1 : undefined) : globalAt(this.globalOf(k), 1);
  }

  /** Whether the tenant's global threshold follows its gallery's size (set for a target FPIR). */
  thresholdIsSized(tenant: string, model: string): boolean {
    return typeof this.globalOf(keyOf(tenant, model)) === "function";
  }

  private globalOf(key: string): GlobalThreshold {
    return this.tenantGlobals.get(key) ?? this.options.thresholds.global;
  }

  /**
   * A tenant's global threshold for a model, where its policy targets another false-match rate than
   * the deployment's; undefined returns it to the deployment's. Per-subject shifts apply on top.
   */
  setGlobalThreshold(tenant: string, model: string, value: GlobalThreshold | undefined): void {
    const k = keyOf(tenant, model);
    if (value === undefined) this.tenantGlobals.delete(k);
    else this.tenantGlobals.set(k, value);
    this.readyThresholds.get(k)?.setGlobal(this.globalOf(k));
  }

  /** 1:N: who is this, or nobody enrolled. */
  async identify(tenant: string, model: string, vector: Float32Array, gates: Gates = {}): Promise<Decision> {
    const k = Math.max(50, this.policy.topK * 4);
    const hits =
      this.policy.aggregation === "centroid"
        ? await (await this.thresholdsFor({ tenant, model })).searchCentroids(vector, k)
        : await this.index.search(vector, k, { tenant, model });
    const decision = decide(hits, (s) => this.thresholdOf(tenant, model, s), this.policy, gates);
    if (decision.outcome !== "match") return decision;
    const similarity = await this.overruled(tenant, model, decision, vector);
    if (similarity === undefined) return decision;
    return {
      outcome: "unknown",
      score: decision.score,
      threshold: decision.threshold,
      candidates: decision.candidates,
      contradicted: { subject: decision.subject, similarity },
    };
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
    const threshold = this.thresholdOf(tenant, model, subject, true);
    const match = score >= threshold && (await this.overruled(tenant, model, { subject, score }, vector)) === undefined;
    return { match, score, threshold };
  }

  /** The closest negative's similarity when the subject's negatives overrule a match (see overrulingNegative). */
  private overruled(tenant: string, model: string, match: { subject: string; score: number }, vector: Float32Array) {
    const held = this.held.templatesOf(tenant, match.subject);
    return overrulingNegative(this.index, held, { tenant, model, ...match }, vector, this.policy.negativeMargin);
  }

  /**
   * Settles once the code indexes of the in-memory indexes (the templates', and each partition's subject
   * centroids') are built; until then those partitions are searched exactly.
   */
  async annReady(): Promise<void> {
    if (this.index instanceof EmbeddedIndex) await this.index.annReady();
    for (const t of this.thresholds.values()) await (await t).annReady();
  }

  async close(): Promise<void> {
    this.watching?.stop();
    await this.mutex.run(async () => {});
    await this.store.close();
    await this.index.close();
    // A partition whose thresholds never opened has nothing to stop.
    for (const t of this.thresholds.values()) await t.then((opened) => opened.close()).catch(() => undefined);
  }
}

const pointOf = (t: StoredTemplate): IndexPoint => ({
  id: t.id,
  tenant: t.tenant,
  model: t.model,
  subject: t.subject,
  vector: t.vector,
});
