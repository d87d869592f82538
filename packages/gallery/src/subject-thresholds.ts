import { l2normalise } from "@facerec/common";
import type { AnnOptions } from "./ann.js";
import { EmbeddedIndex } from "./embedded-index.js";
import { type AdaptiveRule, DEFAULT_ADAPTIVE_RULE, type SubjectStats, thresholdShift } from "./thresholds.js";
import type { IndexFilter, IndexPoint, SearchHit, VectorIndex } from "./types.js";

/**
 * The global threshold: a fixed cosine, or one set for the gallery's size, so that a stranger is named
 * at the target rate however many people are enrolled (thresholdForTarget over the pack's subject tail).
 */
export type GlobalThreshold = number | ((subjects: number) => number);

/** The value of a global threshold for a gallery of `subjects`. */
export function globalAt(global: GlobalThreshold, subjects: number): number {
  return typeof global === "number" ? global : global(subjects);
}

export interface ThresholdOptions {
  /** The global threshold (cosine): fixed, or for the gallery's size at the target rate. */
  global: GlobalThreshold;
  /** Use per-subject thresholds; when false every subject gets the global threshold. */
  adaptive: boolean;
  rule: AdaptiveRule;
  /** How many nearest other subjects make up a subject's impostor cohort. */
  cohort: number;
}

export const DEFAULT_THRESHOLD_OPTIONS: Omit<ThresholdOptions, "global"> = {
  adaptive: true,
  rule: DEFAULT_ADAPTIVE_RULE,
  cohort: 10,
};

/** A subject's threshold and where it comes from, as the API shows it. */
export interface ThresholdExplanation {
  value: number;
  global: number;
  shift: number;
  impostorMean: number;
  typicalImpostorMean: number;
  cohort: number;
  reason: string;
}

const CENTROIDS = "centroids";

/** Mean cosine between a subject's own templates, 1 with fewer than two: its agreement (SubjectStats). */
export function meanPairwise(vectors: readonly Float32Array[]): number {
  if (vectors.length < 2) return 1;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < vectors.length; i++) {
    for (let j = i + 1; j < vectors.length; j++) {
      const a = vectors[i] as Float32Array;
      const b = vectors[j] as Float32Array;
      let dot = 0;
      for (let k = 0; k < a.length; k++) dot += (a[k] as number) * (b[k] as number);
      sum += dot;
      n++;
    }
  }
  return sum / n;
}

/**
 * Per-subject thresholds for one tenant and model. Keeps each subject's centroid in a memory index so
 * that its nearest other subjects can be found, and recomputes a subject's statistics, and those of the
 * subjects near it, whenever its templates change.
 */
export class SubjectThresholds {
  private readonly stats = new Map<string, SubjectStats>();
  private typical = 0;

  private constructor(
    private readonly templates: VectorIndex,
    private readonly centroids: EmbeddedIndex,
    private readonly filter: IndexFilter,
    readonly options: ThresholdOptions,
  ) {}

  /** Change the global threshold (a tenant's policy chose another target error rate); shifts stay. */
  setGlobal(value: GlobalThreshold): void {
    this.options.global = value;
  }

  /** The global threshold now: a sized one follows the subjects enrolled. */
  get global(): number {
    return globalAt(this.options.global, this.stats.size);
  }

  static async create(
    templates: VectorIndex,
    filter: IndexFilter,
    dims: number,
    options: ThresholdOptions,
    /** The centroid index's approximate search (one centroid a subject): as the templates'. */
    ann?: Partial<AnnOptions> | false,
  ): Promise<SubjectThresholds> {
    const centroids = await EmbeddedIndex.open({ dims, ...(ann !== undefined ? { ann } : {}) });
    return new SubjectThresholds(templates, centroids, filter, options);
  }

  private get centroidFilter(): IndexFilter {
    return { tenant: this.filter.tenant, model: CENTROIDS };
  }

  /**
   * The threshold a probe must reach to match `subject` when compared with `against` subjects: the
   * whole gallery for identification, one for a 1:1 claim (verification).
   */
  thresholdOf(subject: string, against = this.stats.size): number {
    const s = this.stats.get(subject);
    const global = globalAt(this.options.global, against);
    if (!this.options.adaptive || !s) return global;
    return global + thresholdShift(s, this.typical, this.options.rule);
  }

  /**
   * Why the subject's threshold is what it is: the global threshold, the rule's shift and the
   * statistics it was computed from (undefined without templates).
   */
  explain(subject: string): ThresholdExplanation | undefined {
    const s = this.stats.get(subject);
    if (!s) return undefined;
    const shift = this.options.adaptive ? thresholdShift(s, this.typical, this.options.rule) : 0;
    return {
      value: this.global + shift,
      global: this.global,
      shift,
      impostorMean: s.impostorMean,
      typicalImpostorMean: this.typical,
      cohort: this.options.cohort,
      reason: !this.options.adaptive
        ? "per-subject thresholds are off: the global threshold"
        : `the ${this.options.cohort} nearest other subjects' centroids average ${s.impostorMean.toFixed(3)} cosine to this one, against ${this.typical.toFixed(3)} for the gallery's median subject: ${shift >= 0 ? "raised" : "lowered"} by ${this.options.rule.impostorWeight} x the difference${Math.abs(shift) >= this.options.rule.maxShift ? `, capped at ${this.options.rule.maxShift}` : ""}`,
    };
  }

  /** Settles once the centroid index's code index, if it has one, is built. */
  annReady(): Promise<void> {
    return this.centroids.annReady();
  }

  /** Stop the centroid index (and any build of its code index). */
  close(): Promise<void> {
    return this.centroids.close();
  }

  /** The `k` subjects whose template centroids are most similar to `vector`. */
  searchCentroids(vector: Float32Array, k: number): Promise<SearchHit[]> {
    return this.centroids.search(vector, k, this.centroidFilter);
  }

  /** The normalised mean of a subject's templates. */
  async centroidOf(subject: string): Promise<Float32Array | undefined> {
    return (await this.centroids.subjectVectors(this.centroidFilter, subject))[0];
  }

  /** Recompute after `subjects` gained or lost templates (or were erased), then their neighbours. */
  async refresh(subjects: readonly string[]): Promise<void> {
    const touched = new Set<string>();
    for (const subject of subjects) {
      const before = await this.neighbours(subject);
      if (await this.loadSubject(subject)) touched.add(subject);
      for (const n of [...before, ...(await this.neighbours(subject))]) touched.add(n);
    }
    for (const subject of touched) await this.updateImpostorMean(subject);
    this.updateTypical();
  }

  /** Read a subject's templates into its centroid and statistics; false (and forgotten) when it has none. */
  private async loadSubject(subject: string): Promise<boolean> {
    const point = await this.centroidPoint(subject);
    if (!point) {
      await this.centroids.delete(this.centroidFilter, [subject]);
      return false;
    }
    await this.centroids.upsert([point]);
    return true;
  }

  /** A subject's centroid as an index point, with its statistics noted (undefined, and forgotten, with no templates). */
  private async centroidPoint(subject: string): Promise<IndexPoint | undefined> {
    const vectors = await this.templates.subjectVectors(this.filter, subject);
    if (vectors.length === 0) {
      this.stats.delete(subject);
      return undefined;
    }
    const centroid = new Float32Array(vectors[0]?.length ?? 0);
    for (const v of vectors) for (let k = 0; k < v.length; k++) centroid[k] = (centroid[k] as number) + (v[k] as number);
    this.stats.set(subject, { subject, templates: vectors.length, agreement: meanPairwise(vectors), impostorMean: 0 });
    return { id: subject, subject, ...this.centroidFilter, vector: l2normalise(centroid) };
  }

  /**
   * Recompute every listed subject at once (after a bulk load): the centroids go in as one bulk load,
   * so a large partition's saved graph is loaded rather than built, then one search each.
   */
  async rebuild(subjects: readonly string[]): Promise<void> {
    const points: IndexPoint[] = [];
    const gone: string[] = [];
    for (const subject of subjects) {
      const point = await this.centroidPoint(subject);
      if (point) points.push(point);
      else gone.push(subject);
    }
    if (gone.length) await this.centroids.delete(this.centroidFilter, gone);
    await this.centroids.upsertAll(points);
    for (const subject of subjects) await this.updateImpostorMean(subject);
    this.updateTypical();
  }

  private async neighbours(subject: string): Promise<string[]> {
    const centroid = await this.centroidOf(subject);
    if (!centroid) return [];
    const hits = await this.centroids.search(centroid, this.options.cohort + 1, this.centroidFilter);
    return hits.map((h) => h.subject).filter((s) => s !== subject);
  }

  private async updateImpostorMean(subject: string): Promise<void> {
    const stats = this.stats.get(subject);
    const centroid = await this.centroidOf(subject);
    if (!stats || !centroid) return;
    const hits = (await this.centroids.search(centroid, this.options.cohort + 1, this.centroidFilter)).filter(
      (h) => h.subject !== subject,
    );
    stats.impostorMean = hits.length ? hits.reduce((s, h) => s + h.score, 0) / hits.length : 0;
  }

  /** The gallery's typical impostor mean: the median over subjects, so that shifts centre on zero. */
  private updateTypical(): void {
    const values = [...this.stats.values()].map((s) => s.impostorMean).sort((a, b) => a - b);
    this.typical = values.length ? (values[Math.floor(values.length / 2)] as number) : 0;
  }
}
