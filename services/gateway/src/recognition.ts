import { randomUUID } from "node:crypto";
import { relative, resolve } from "node:path";
import type { AuditPage, AuditQuery, AuditTrail, AuditVerification } from "@facerec/audit";
import { type ApiKeyRecord, ApiKeyStore, type Principal, type Scope } from "@facerec/auth";
import type { MatchEvent } from "@facerec/contracts";
import { type Decision, type Gallery, NotFoundError, type Subject } from "@facerec/gallery";
import { type JobSpec, type Jobs, type JobView, matchEventOf } from "@facerec/pipeline";
import { cosine, decodeImage, type Face, FaceEngine, ImageError } from "@facerec/vision";
import { BadRequestError, UnavailableError } from "./errors.js";
import type { MatchFeed } from "./match-feed.js";

/** Omit a key from each member of a union (the built-in Omit merges the members). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A camera name is a NATS subject token in distributed mode, so the same rule holds everywhere. */
const CAMERA = /^[A-Za-z0-9_-]{1,64}$/;

export interface FaceResult {
  box: Face["box"];
  outcome: Decision["outcome"];
  subjectId?: string;
  score?: number;
  threshold?: number;
  quality: number;
  liveness?: number;
  candidates: { subjectId: string; score: number; threshold: number }[];
}

/**
 * The product's operations, independent of transport: REST and gRPC both call these. Every decision,
 * rejections included, is appended to the audit trail with the caller's tenant and key.
 */
export class Recognition {
  constructor(
    private readonly engine: FaceEngine,
    private readonly gallery: Gallery,
    private readonly audit: AuditTrail,
    private readonly keys: ApiKeyStore,
    private readonly feed?: MatchFeed,
    private readonly jobs?: { queue: Jobs; importRoot: string },
  ) {}

  /** How much the gallery holds (for metrics). */
  galleryStats(): { subjects: number; templates: number } {
    return this.gallery.stats();
  }

  /** Jobs by state, for metrics; empty without Redis. */
  async jobCounts(): Promise<Record<string, number>> {
    return this.jobs ? this.jobs.queue.counts() : {};
  }

  /** Called with each image's engine time, for metrics. */
  onEngineTime?: (operation: string, seconds: number) => void;

  private async analyse(operation: string, image: Uint8Array, liveness: boolean): Promise<Face[]> {
    const decoded = await decodeImage(image);
    const started = performance.now();
    const faces = await this.engine.analyse(decoded, { liveness });
    this.onEngineTime?.(operation, (performance.now() - started) / 1000);
    return faces;
  }

  get modelId(): string {
    return this.engine.embedder.id;
  }

  private async record(
    p: Principal,
    operation: string,
    decision: string,
    started: number,
    extra: { subjectId?: string; scores?: number[] } = {},
    requestId: string = randomUUID(),
  ): Promise<string> {
    await this.audit.append({
      tenant: p.tenant,
      keyId: p.keyId,
      operation,
      decision,
      requestId,
      modelId: this.modelId,
      latencyMs: Date.now() - started,
      ...extra,
    });
    return requestId;
  }

  async createSubject(p: Principal, name: string, metadata: Record<string, string>): Promise<Subject> {
    ApiKeyStore.require(p, "enrol");
    const started = Date.now();
    const subject = await this.gallery.createSubject(p.tenant, name, metadata);
    await this.record(p, "create-subject", "created", started, { subjectId: subject.id });
    return subject;
  }

  async updateSubject(p: Principal, id: string, change: { name?: string; metadata?: Record<string, string> }): Promise<Subject> {
    ApiKeyStore.require(p, "enrol");
    const started = Date.now();
    const subject = await this.gallery.updateSubject(p.tenant, id, change);
    await this.record(p, "update-subject", "updated", started, { subjectId: id });
    return subject;
  }

  async listSubjects(p: Principal): Promise<Subject[]> {
    ApiKeyStore.require(p, "recognise");
    await this.gallery.sync();
    return this.gallery.listSubjects(p.tenant);
  }

  async getSubject(p: Principal, id: string): Promise<Subject & { templates: number }> {
    ApiKeyStore.require(p, "recognise");
    const subject = await this.gallery.findSubject(p.tenant, id);
    return { ...subject, templates: this.gallery.templatesOf(p.tenant, id).length };
  }

  async deleteSubject(p: Principal, id: string): Promise<{ templatesRemoved: number }> {
    ApiKeyStore.require(p, "enrol");
    const started = Date.now();
    const { templates } = await this.gallery.deleteSubject(p.tenant, id);
    await this.record(p, "delete-subject", "erased", started, { subjectId: id });
    return { templatesRemoved: templates };
  }

  /** Create an API key in the caller's tenant; the key is in the answer once and never again. */
  async createKey(
    p: Principal,
    name: string,
    scopes: string[],
  ): Promise<{ key: string; record: Omit<ApiKeyRecord, "secretSha256"> }> {
    ApiKeyStore.require(p, "admin");
    const started = Date.now();
    let created: Awaited<ReturnType<ApiKeyStore["create"]>>;
    try {
      created = await this.keys.create(p.tenant, name, scopes as Scope[]);
    } catch (error) {
      if (error instanceof RangeError) throw new BadRequestError(error.message);
      throw error;
    }
    await this.record(p, "create-key", `created ${created.record.id}`, started);
    const { secretSha256: _, ...record } = created.record;
    return { key: created.key, record };
  }

  async listKeys(p: Principal): Promise<Omit<ApiKeyRecord, "secretSha256">[]> {
    ApiKeyStore.require(p, "admin");
    return this.keys.list(p.tenant);
  }

  /** Revoke a key of the caller's tenant; every replica refuses it within the documented bound. */
  async revokeKey(p: Principal, id: string): Promise<Omit<ApiKeyRecord, "secretSha256">> {
    ApiKeyStore.require(p, "admin");
    const started = Date.now();
    const revoked = await this.keys.revoke(p.tenant, id);
    await this.record(p, "revoke-key", `revoked ${id}`, started);
    return revoked;
  }

  /** Enrol one template per image; an image without exactly one usable face is refused, the rest go in. */
  async enroll(
    p: Principal,
    subjectId: string,
    images: Uint8Array[],
  ): Promise<{ templateIds: string[]; rejected: { index: number; reason: string }[] }> {
    ApiKeyStore.require(p, "enrol");
    const started = Date.now();
    await this.gallery.findSubject(p.tenant, subjectId);
    const accepted = [];
    const rejected: { index: number; reason: string }[] = [];
    for (const [index, bytes] of images.entries()) {
      try {
        const faces = await this.analyse("enroll", bytes, false);
        const face = FaceEngine.primary(faces);
        if (!face?.embedding) rejected.push({ index, reason: "no face found" });
        else if (face.quality.score < this.gallery.policy.minQuality)
          rejected.push({
            index,
            reason: `face quality ${face.quality.score.toFixed(2)} is below ${this.gallery.policy.minQuality}`,
          });
        else accepted.push({ vector: face.embedding, quality: face.quality.score });
      } catch (error) {
        rejected.push({ index, reason: (error as Error).message });
      }
    }
    const templates = accepted.length ? await this.gallery.enrol(p.tenant, subjectId, this.modelId, accepted) : [];
    await this.record(
      p,
      "enroll",
      rejected.length ? `enrolled ${templates.length}, rejected ${rejected.length}` : `enrolled ${templates.length}`,
      started,
      { subjectId },
    );
    return { templateIds: templates.map((t) => t.id), rejected };
  }

  /** 1:1: does the main face of the image belong to the subject, or to the main face of a second image. */
  async verify(
    p: Principal,
    image: Uint8Array,
    against: { subjectId: string } | { otherImage: Uint8Array },
  ): Promise<{ match: boolean; score: number; threshold: number; requestId: string }> {
    ApiKeyStore.require(p, "recognise");
    const started = Date.now();
    const probe = await this.mainFace(image);
    let result: { match: boolean; score: number; threshold: number };
    if ("subjectId" in against) {
      await this.gallery.findSubject(p.tenant, against.subjectId);
      result = await this.gallery.verify(p.tenant, this.modelId, against.subjectId, probe);
    } else {
      const other = await this.mainFace(against.otherImage);
      const score = cosine(probe, other);
      const threshold = this.engine.embedder.model.thresholds?.verify ?? this.gallery.thresholdOf(p.tenant, this.modelId, "");
      result = { match: score >= threshold, score, threshold };
    }
    const subjectId = "subjectId" in against ? against.subjectId : undefined;
    const requestId = await this.record(p, "verify", result.match ? "match" : "no-match", started, {
      scores: [result.score],
      ...(subjectId ? { subjectId } : {}),
    });
    return { ...result, requestId };
  }

  private async mainFace(image: Uint8Array): Promise<Float32Array> {
    const face = FaceEngine.primary(await this.analyse("verify", image, false));
    if (!face?.embedding) throw new ImageError("NO_FACE", "no face was found in the image");
    return face.embedding;
  }

  /** Follow the tenant's match decisions as they are made; returns the function that stops following. */
  async watchMatches(p: Principal, cameras: readonly string[], listener: (event: MatchEvent) => void): Promise<() => void> {
    ApiKeyStore.require(p, "recognise");
    if (!this.feed) throw new Error("this gateway has no match feed");
    await this.record(p, "watch-matches", "started", Date.now());
    return this.feed.subscribe(p.tenant, cameras, listener);
  }

  /**
   * Start a long job for the caller's tenant. Bulk enrolment reads only below the import folder the
   * operator configured (FACEREC_IMPORT_DIR), never anywhere a request names.
   */
  async addJob(p: Principal, request: DistributiveOmit<JobSpec, "tenant">): Promise<JobView> {
    ApiKeyStore.require(p, request.kind === "erase" ? "enrol" : "admin");
    if (!this.jobs) throw new UnavailableError("jobs need Redis: start the gateway with REDIS_URL");
    const started = Date.now();
    let spec: JobSpec;
    if (request.kind === "enrol-folder") {
      const folder = resolve(this.jobs.importRoot, request.folder);
      if (relative(this.jobs.importRoot, folder).startsWith("..")) {
        throw new BadRequestError(`folder must be inside the import folder (${request.folder} is not)`);
      }
      spec = { ...request, folder, tenant: p.tenant };
    } else spec = { ...request, tenant: p.tenant } as JobSpec;
    if (spec.kind === "erase") await this.gallery.findSubject(p.tenant, spec.subjectId);
    const job = await this.jobs.queue.add(spec);
    await this.record(
      p,
      `job:${spec.kind}`,
      "queued",
      started,
      spec.kind === "erase" ? { subjectId: spec.subjectId } : {},
      job.id,
    );
    return job;
  }

  async getJob(p: Principal, id: string): Promise<JobView> {
    ApiKeyStore.require(p, "recognise");
    if (!this.jobs) throw new UnavailableError("jobs need Redis: start the gateway with REDIS_URL");
    const job = await this.jobs.queue.get(p.tenant, id);
    if (!job) throw new NotFoundError(`no job ${id} in this tenant`);
    return job;
  }

  /** The caller's tenant's audit entries. */
  /** The caller's tenant's audit entries: its API calls, camera decisions and jobs, from every replica. */
  queryAudit(p: Principal, q: Omit<AuditQuery, "tenant">): Promise<AuditPage> {
    ApiKeyStore.require(p, "audit");
    return this.audit.query({ ...q, tenant: p.tenant });
  }

  /** Recompute the caller's tenant's hash chain. */
  verifyAudit(p: Principal): Promise<AuditVerification> {
    ApiKeyStore.require(p, "audit");
    return this.audit.verify(p.tenant);
  }

  /**
   * 1:N on every face in the image. Each face's decision is also published to the match feed as coming
   * from `camera`, so WatchMatches sees API identifications as well as the camera pipeline's.
   */
  async identify(p: Principal, image: Uint8Array, camera = "api"): Promise<{ faces: FaceResult[]; requestId: string }> {
    ApiKeyStore.require(p, "recognise");
    if (!CAMERA.test(camera)) throw new BadRequestError(`camera "${camera.slice(0, 80)}" must be 1-64 letters, digits, _ or -`);
    const started = Date.now();
    const faces = await this.analyse("identify", image, true);
    const requestId = randomUUID();
    const results: FaceResult[] = [];
    for (const face of faces) {
      const d = await this.gallery.identify(p.tenant, this.modelId, face.embedding as Float32Array, {
        quality: face.quality.score,
        ...(face.liveness !== undefined ? { liveness: face.liveness } : {}),
      });
      const result: FaceResult = {
        box: face.box,
        outcome: d.outcome,
        quality: face.quality.score,
        ...(face.liveness !== undefined ? { liveness: face.liveness } : {}),
        candidates: d.candidates.map((c) => ({ subjectId: c.subject, score: c.score, threshold: c.threshold })),
      };
      if (d.outcome === "match") Object.assign(result, { subjectId: d.subject, score: d.score, threshold: d.threshold });
      if (d.outcome === "unknown" && d.score !== null) Object.assign(result, { score: d.score, threshold: d.threshold });
      results.push(result);
      this.feed?.publish(
        matchEventOf(d, {
          cropId: `${requestId}:${results.length - 1}`,
          tenant: p.tenant,
          camera,
          modelId: this.modelId,
          frameTime: new Date(started),
          box: face.box,
          quality: face.quality.score,
          ...(face.liveness !== undefined ? { liveness: face.liveness } : {}),
          nameOf: (id) => this.gallery.peekSubject(p.tenant, id)?.name,
        }),
      );
      await this.record(
        p,
        "identify",
        d.outcome,
        started,
        {
          ...(result.subjectId ? { subjectId: result.subjectId } : {}),
          ...(result.score !== undefined ? { scores: [result.score] } : {}),
        },
        requestId,
      );
    }
    if (faces.length === 0) await this.record(p, "identify", "no-face", started, {}, requestId);
    return { faces: results, requestId };
  }
}
