import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { readdir, readFile, realpath } from "node:fs/promises";
import { extname, join, relative, resolve, sep } from "node:path";
import type { AuditTrail } from "@facerec/audit";
import type { Gallery, NewTemplate, Subject } from "@facerec/gallery";
import { decodeImage, encodePng, FaceEngine } from "@facerec/vision";
import { type ConnectionOptions, type Job, Queue, UnrecoverableError, Worker } from "bullmq";

/** The long-running work of the product, run by BullMQ workers beside the gallery (in the matcher). */
export type JobSpec =
  /** Enrol every sub-folder of `folder` as a subject named after it, one template per photo. */
  | { kind: "enrol-folder"; tenant: string; folder: string }
  /** Embed every template's retained crop with the current model (after a model change). */
  | { kind: "reembed"; tenant: string }
  /** Erase a subject (templates, vectors, crops) everywhere. */
  | { kind: "erase"; tenant: string; subjectId: string }
  /** Recompute the tenant's per-subject thresholds from the gallery as it is now. */
  | { kind: "recalibrate"; tenant: string }
  /** Rebuild the tenant's vectors in the shared index (Qdrant) from the system of record. */
  | { kind: "reindex"; tenant: string };

/** A folder or file outside the import folder, by its real path (symlinks followed). */
export class OutsideImportError extends Error {
  override readonly name = "OutsideImportError";
}

/**
 * The real path of `path` (resolved against `root`), when it lies inside `root`'s real path: a symlink
 * inside the import folder that points elsewhere is refused, on the gateway and on the job runner alike.
 */
export async function insideImportRoot(root: string, path: string): Promise<string> {
  const [realRoot, real] = await Promise.all([realpath(root), realpath(resolve(root, path))]).catch((error) => {
    throw new OutsideImportError(
      `${path} is not inside the import folder (it does not exist: ${(error as NodeJS.ErrnoException).code})`,
    );
  });
  const rel = relative(realRoot, real);
  if (rel === ".." || rel.startsWith(`..${sep}`) || resolve(realRoot, rel) !== real) {
    throw new OutsideImportError(`${path} is not inside the import folder (it resolves to a path outside it)`);
  }
  return real;
}

/** Every job kind, as the API names them. */
export const JOB_KINDS: readonly JobSpec["kind"][] = ["enrol-folder", "reembed", "erase", "recalibrate", "reindex"];

export const JOB_QUEUE = "facerec-jobs";

export interface JobView {
  id: string;
  kind: JobSpec["kind"];
  tenant: string;
  state: string;
  progress: number;
  attempts: number;
  result?: unknown;
  error?: string;
}

/**
 * Parse a redis:// or rediss:// (TLS) URL, with an ACL user and password when it carries them, into the
 * options BullMQ passes to ioredis (workers need maxRetriesPerRequest null). REDIS_TLS_CA_FILE names
 * the CA that signed the server's certificate, when it is not a public one.
 */
export function redisConnection(url: string, env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const u = new URL(url);
  if (u.protocol !== "redis:" && u.protocol !== "rediss:")
    throw new RangeError(`REDIS_URL must be redis:// or rediss://, not ${u.protocol}`);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === "rediss:"
      ? { tls: { servername: u.hostname, ...(env.REDIS_TLS_CA_FILE ? { ca: readFileSync(env.REDIS_TLS_CA_FILE) } : {}) } }
      : {}),
    maxRetriesPerRequest: null,
  };
}

/** Jobs of each state a tenant's counts look through: the newest, as a status page needs. */
const JOBS_COUNTED = 1000;

/**
 * The API side of the jobs: enqueue with retries and backoff, each request its own job unless the
 * caller gives an idempotency key (the same key in the same tenant yields the one job it started,
 * whatever its state), and read a job back only for its own tenant.
 */
export class Jobs {
  private readonly queue: Queue;

  constructor(connection: ConnectionOptions) {
    this.queue = new Queue(JOB_QUEUE, { connection });
  }

  async add(spec: JobSpec, idempotencyKey?: string): Promise<JobView> {
    // BullMQ answers an add under the id of a job it keeps (finished ones too, for days) with that job.
    const id = idempotencyKey
      ? `${spec.kind}-${createHash("sha256").update(`${spec.tenant}\u0000${idempotencyKey}`).digest("hex").slice(0, 24)}`
      : `${spec.kind}-${randomUUID()}`;
    const job = await this.queue.add(spec.kind, spec, {
      jobId: id,
      attempts: 5,
      backoff: { type: "exponential", delay: 1000 },
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    });
    return view(job, await job.getState());
  }

  /** The job, if it exists and belongs to `tenant`. */
  async get(tenant: string, id: string): Promise<JobView | undefined> {
    // The state first, then the record: a job that moves on between the two reads shows its newer
    // record (a failure's error, a result) beside its older state, never "failed" without its error.
    const state = await this.queue.getJobState(id);
    const job = await this.queue.getJob(id);
    if (!job || (job.data as JobSpec).tenant !== tenant) return undefined;
    return view(job, state);
  }

  /**
   * Erasure reaches the job records too: an enrol-folder job keeps the names of the folders it has
   * done (so that a retry skips them), and a folder is named after its person. The erased subject's
   * name leaves the job that enrolled it (`metadata.job`), in its tenant only. True when it was there.
   */
  async forget(tenant: string, subject: { name: string; metadata: Record<string, string> }): Promise<boolean> {
    const id = subject.metadata.job;
    if (!id) return false;
    const job = await this.queue.getJob(id);
    const data = job?.data as (JobSpec & { done?: string[] }) | undefined;
    if (!job || !data || data.tenant !== tenant || !data.done?.includes(subject.name)) return false;
    await job.updateData({ ...data, done: data.done.filter((name) => name !== subject.name) });
    return true;
  }

  /**
   * One tenant's jobs by state, from the newest JOBS_COUNTED of each state: a tenant's status shows
   * its own work, never how busy the others are.
   */
  async countsFor(tenant: string): Promise<Record<string, number>> {
    const states = ["waiting", "active", "delayed", "completed", "failed"] as const;
    const out: Record<string, number> = {};
    for (const state of states) {
      const jobs = await this.queue.getJobs([state], 0, JOBS_COUNTED - 1);
      out[state] = jobs.filter((j) => (j?.data as JobSpec | undefined)?.tenant === tenant).length;
    }
    return out;
  }

  /** Jobs by state across tenants (waiting, active, delayed, completed, failed), for metrics. */
  counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts("waiting", "active", "delayed", "completed", "failed");
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

function view(job: Job, state: string): JobView {
  const spec = job.data as JobSpec & { done?: string[] };
  return {
    id: job.id as string,
    kind: spec.kind,
    tenant: spec.tenant,
    state,
    progress: typeof job.progress === "number" ? job.progress : 0,
    attempts: job.attemptsMade,
    ...(job.returnvalue !== undefined && job.returnvalue !== null ? { result: job.returnvalue } : {}),
    ...(job.failedReason ? { error: job.failedReason } : {}),
  };
}

const PHOTO = new Set([".jpg", ".jpeg", ".png", ".webp"]);

/** An erase job's receipt in one line, as its completion's audit entry keeps it. */
function receiptOf(result: unknown): string | undefined {
  const stores = (result as { stores?: { store: string; detail: string }[] } | undefined)?.stores;
  return stores ? `completed, erased: ${stores.map((s) => `${s.store} ${s.detail}`).join("; ")}` : undefined;
}

/**
 * Runs the jobs against the gallery. Each job is idempotent across retries and crashes: what it has
 * finished is recorded in the job's own data (in Redis) as it goes, and skipped when it runs again.
 */
export class JobRunner {
  constructor(
    private readonly gallery: Gallery,
    private readonly engine: FaceEngine,
    private readonly audit: AuditTrail,
    /** The import folder enrol-folder jobs may read (FACEREC_IMPORT_DIR), checked again here by real path. */
    private readonly importRoot?: string,
    /**
     * Every store that keeps anything about a person (the product's personal-data registry): an erase
     * job walks it as DELETE /v1/subjects/:id does. Without it, only the gallery forgets the subject.
     */
    private readonly personalData?: {
      erase(tenant: string, subject: Subject): Promise<{ stores: { store: string; removed: number; detail: string }[] }>;
    },
  ) {}

  /** The queue's records, to take an erased subject's name out of the job that enrolled it. */
  private records: Jobs | undefined;

  start(connection: ConnectionOptions, concurrency = 1): Worker {
    this.records = new Jobs(connection);
    const worker = new Worker(JOB_QUEUE, (job) => this.run(job), { connection, concurrency, lockDuration: 30_000 });
    worker.on("closed", () => void this.records?.close());
    // Audited on completion as BullMQ records it: an attempt that lost its lock (Redis gone, a stall)
    // and was run again is not counted twice.
    worker.on("completed", async (job) => {
      const spec = job.data as JobSpec;
      await this.audit
        .append({
          tenant: spec.tenant,
          keyId: "job",
          operation: `job-${spec.kind}`,
          decision: receiptOf(job.returnvalue) ?? "completed",
          requestId: job.id as string,
          latencyMs: (job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now()),
          ...(spec.kind === "erase" ? { subjectId: spec.subjectId } : {}),
        })
        .catch((error) => worker.emit("error", error));
    });
    return worker;
  }

  async run(job: Job): Promise<unknown> {
    // Another replica may have run an earlier attempt: start from the store as it is now.
    await this.gallery.sync();
    return this.dispatch(job, job.data as JobSpec);
  }

  private dispatch(job: Job, spec: JobSpec): Promise<unknown> {
    switch (spec.kind) {
      case "enrol-folder":
        return this.enrolFolder(job, spec.tenant, spec.folder);
      case "reembed":
        return this.reembed(job, spec.tenant);
      case "erase":
        return this.erase(spec.tenant, spec.subjectId);
      case "recalibrate":
        return this.gallery.recalibrate(spec.tenant, this.engine.embedder.id).then((subjects) => ({ subjects }));
      case "reindex":
        return this.gallery.reindex(spec.tenant, this.modelsOf(spec.tenant));
    }
  }

  /** The embedding models a tenant's templates and negatives use (their index partitions), and the current one. */
  private modelsOf(tenant: string): string[] {
    const models = new Set([this.engine.embedder.id]);
    for (const s of this.gallery.listSubjects(tenant))
      for (const t of [...this.gallery.templatesOf(tenant, s.id), ...this.gallery.negativesOf(tenant, s.id)]) models.add(t.model);
    return [...models];
  }

  /**
   * Erase a subject. One that an earlier attempt erased (it died before it could report) counts as
   * done; one that never existed fails the job at once, never reporting success.
   */
  private async erase(
    tenant: string,
    subject: string,
  ): Promise<{ templates: number; stores?: { store: string; removed: number; detail: string }[] }> {
    try {
      const found = await this.gallery.findSubject(tenant, subject);
      await this.records?.forget(tenant, found);
      if (!this.personalData) return await this.gallery.deleteSubject(tenant, subject);
      const { stores } = await this.personalData.erase(tenant, found);
      return { templates: stores.find((s) => s.store === "templates")?.removed ?? 0, stores };
    } catch (error) {
      if ((error as Error).name !== "NotFoundError") throw error;
      if (await this.gallery.wasErased(tenant, subject)) return { templates: 0 };
      throw new UnrecoverableError(`no subject ${subject} in tenant ${tenant}`);
    }
  }

  /** Names already finished by earlier attempts, kept in the job's data. */
  private async markDone(job: Job, done: string[], name: string, progress: number): Promise<void> {
    done.push(name);
    await job.updateData({ ...job.data, done });
    await job.updateProgress(progress);
  }

  private async enrolFolder(job: Job, tenant: string, folder: string): Promise<{ subjects: number; templates: number }> {
    // The gateway checked the folder; the files may have changed since, and this process may see a
    // different mount: every folder and photo is checked again, by real path, before it is read.
    const inside = async (path: string) => {
      if (!this.importRoot) return path;
      try {
        return await insideImportRoot(this.importRoot, path);
      } catch (error) {
        throw new UnrecoverableError((error as Error).message);
      }
    };
    folder = await inside(folder);
    const people = (await readdir(folder, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    const done: string[] = [...((job.data as { done?: string[] }).done ?? [])];
    let templates = 0;
    for (const [i, name] of people.entries()) {
      if (done.includes(name)) continue;
      const items: NewTemplate[] = [];
      const dir = await inside(join(folder, name));
      for (const file of (await readdir(dir)).sort()) {
        if (!PHOTO.has(extname(file).toLowerCase())) continue;
        const face = FaceEngine.primary(
          await this.engine.analyse(await decodeImage(await readFile(await inside(join(dir, file))))),
        );
        if (face?.embedding)
          items.push({ vector: face.embedding, quality: face.quality.score, crop: await encodePng(face.aligned) });
      }
      // A subject left by an attempt that died between creating and recording it is reused, not doubled.
      const subject =
        this.gallery.listSubjects(tenant).find((s) => s.name === name && s.metadata.job === job.id) ??
        (await this.gallery.createSubject(tenant, name, { job: job.id as string, folder }));
      if (this.gallery.templatesOf(tenant, subject.id).length === 0 && items.length > 0) {
        templates += (await this.gallery.enrol(tenant, subject.id, this.engine.embedder.id, items)).templates.length;
      }
      await this.markDone(job, done, name, Math.round(((i + 1) / people.length) * 100));
    }
    return { subjects: people.length, templates };
  }

  private async reembed(job: Job, tenant: string): Promise<{ templates: number; withoutCrop: number }> {
    const model = this.engine.embedder.id;
    const done: string[] = [...((job.data as { done?: string[] }).done ?? [])];
    const subjects = this.gallery.listSubjects(tenant);
    let templates = 0;
    let withoutCrop = 0;
    for (const [i, subject] of subjects.entries()) {
      if (done.includes(subject.id)) continue;
      const all = this.gallery.templatesOf(tenant, subject.id);
      if (!all.some((t) => t.model === model)) {
        const old = all.filter((t) => t.model !== model);
        const crops = await Promise.all(old.map(async (t) => ({ t, png: await this.gallery.cropOf(t) })));
        withoutCrop += crops.filter((c) => !c.png).length;
        const usable = crops.filter((c): c is { t: (typeof old)[number]; png: Buffer } => c.png !== undefined);
        const images = await Promise.all(usable.map((c) => decodeImage(c.png)));
        const vectors = await this.engine.embedder.embed(images);
        const items = usable.map((c, k) => ({ vector: vectors[k] as Float32Array, quality: c.t.quality, crop: c.png }));
        if (items.length > 0) templates += (await this.gallery.enrol(tenant, subject.id, model, items)).templates.length;
      }
      await this.markDone(job, done, subject.id, Math.round(((i + 1) / subjects.length) * 100));
    }
    return { templates, withoutCrop };
  }
}
