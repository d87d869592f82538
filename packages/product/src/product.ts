import { rmSync } from "node:fs";
import { join } from "node:path";
import { type AuditTrail, FileAuditTrail, PgAuditTrail } from "@facerec/audit";
import { ApiKeyStore, FileKeyStore, PgKeyStore } from "@facerec/auth";
import {
  type AnnOptions,
  DEFAULT_CLUSTER_OPTIONS,
  DEFAULT_POLICY,
  DEFAULT_TARGET,
  DEFAULT_THRESHOLD_OPTIONS,
  FileGalleryStore,
  FileReviewStore,
  Gallery,
  type GalleryStore,
  PgGalleryStore,
  PgReviewStore,
  QdrantIndex,
  type ReviewStore,
} from "@facerec/gallery";
import { FileWebhookStore, PgWebhookStore, type WebhookStore } from "@facerec/notify";
import { FilePolicyStore, type PersonalDataRegistry, PgPolicyStore, type PolicyStore } from "@facerec/privacy";
import { Database, FolderLock, Transaction, TransactionJournal } from "@facerec/storage";
import type { FaceEngine } from "@facerec/vision";
import type { Atomic } from "./atomic.js";
import { type ChallengeStore, MemoryChallengeStore, PgChallengeStore } from "./challenge-store.js";
import { ChangeJournal, finishErasures } from "./change-journal.js";
import { productPersonalData } from "./personal-data.js";
import { thresholdAtTarget } from "./tenant-policies.js";

/** The product's state: the gallery, the API keys, the audit trail and the webhooks, all in one place. */
export interface ProductState {
  gallery: Gallery;
  keys: ApiKeyStore;
  audit: AuditTrail;
  /** The tenants' webhooks and their delivery log. */
  webhooks: WebhookStore;
  /** Unknown faces kept for review, in clusters. */
  review: ReviewStore;
  /** Each tenant's privacy policy, versioned. */
  policies: PolicyStore;
  /** Open active liveness challenges (in this process's memory in embedded mode). */
  challenges: ChallengeStore;
  /**
   * Every store above that keeps anything about a person, for erasure, retention and subject access
   * (a process that adds a store of its own, the job queue, registers it too).
   */
  personalData: PersonalDataRegistry;
  /**
   * Run a change and its audit entry in one transaction: with PostgreSQL every store's writes inside
   * `work` (audit trail included) join it; with local files, the logs' writes inside `work` are staged
   * and committed with the audit entry in one journal record (TransactionJournal), one change at a time.
   */
  atomic: Atomic;
  /**
   * Whether the change the caller runs in holds writes a failure cannot take back (local files: the
   * journal commits them when the change ends, so memory and disk agree). Absent with PostgreSQL.
   */
  heldWrites?: () => boolean;
  /** Erasures in flight (local files only: PostgreSQL erases in one transaction). */
  journal?: ChangeJournal;
  /** Where it lives: `postgres` (shared by every replica) or the local folder. */
  storage: "postgres" | "files";
  close(): Promise<void>;
}

/**
 * Open the product's state as every process does, from its environment. With DATABASE_URL it is
 * PostgreSQL (migrations applied at start, under a lock, by whichever replica comes first), shared
 * by every gateway, matcher and job runner; without it, local files in `data` (embedded mode), which
 * this process holds until it closes them: another opening them meanwhile gets FolderLockedError.
 * Vectors go to Qdrant when QDRANT_URL is set, else each process's in-memory index.
 */
export async function openProductState(
  data: string,
  engine: FaceEngine,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProductState> {
  // A deployment that migrates in a step of its own (the Helm chart's init container) sets
  // FACEREC_MIGRATE_AT_START=0; the process then only checks the schema is current.
  const db = env.DATABASE_URL
    ? await Database.connect(env.DATABASE_URL, { schema: env.FACEREC_MIGRATE_AT_START === "0" ? "check" : "migrate" })
    : undefined;
  const lock = db ? undefined : FolderLock.acquire(data);
  try {
    return await openStores(data, engine, env, db, lock);
  } catch (error) {
    // A store that would not open (damage, say) leaves the folder to whoever comes to repair it.
    lock?.release();
    throw error;
  }
}

async function openStores(
  data: string,
  engine: FaceEngine,
  env: NodeJS.ProcessEnv,
  db: Database | undefined,
  lock: FolderLock | undefined,
): Promise<ProductState> {
  // Before any store reads its log: what committed changes had not yet written is written now.
  const transactions = db ? undefined : TransactionJournal.open(data);
  const galleryStore: GalleryStore = db
    ? new PgGalleryStore(db)
    : await FileGalleryStore.open(join(data, "gallery"), engine.embedder.dims);
  // Versions before the code index saved HNSW graphs here, erased people's vectors among them until the
  // next close; nothing reads them now, so they go.
  if (!db) rmSync(join(data, "graphs"), { recursive: true, force: true });
  const gallery = await openProductGallery(galleryStore, engine, env);
  const keys = await ApiKeyStore.open(db ? new PgKeyStore(db) : FileKeyStore.open(join(data, "keys")));
  const fileAudit = db ? undefined : FileAuditTrail.open(join(data, "audit"));
  const audit: AuditTrail = fileAudit ?? new PgAuditTrail(db as Database);
  const webhooks = db ? new PgWebhookStore(db) : FileWebhookStore.open(join(data, "webhooks"));
  const review = db
    ? new PgReviewStore(db, DEFAULT_CLUSTER_OPTIONS)
    : FileReviewStore.open(join(data, "review"), DEFAULT_CLUSTER_OPTIONS);
  const policies = db ? new PgPolicyStore(db) : FilePolicyStore.open(join(data, "policy"));
  const challenges = db ? new PgChallengeStore(db) : new MemoryChallengeStore();
  const journal = db ? undefined : new ChangeJournal(join(data, "journal"));
  const personalData = productPersonalData({ gallery, review, challenges, webhooks });
  // A change that committed before a crash gets its entry, and an erasure a stopped process left half
  // done is finished, before anything else is served.
  if (transactions) await fileAudit?.finishCommits(transactions);
  if (journal) await finishErasures(journal, { gallery, personalData, audit });
  return {
    gallery,
    keys,
    audit,
    webhooks,
    review,
    policies,
    challenges,
    personalData,
    atomic: (work) => (transactions ? transactions.run(work) : (db as Database).transaction(() => work())),
    ...(transactions ? { heldWrites: () => (Transaction.current()?.logs.size ?? 0) > 0 } : {}),
    ...(journal ? { journal } : {}),
    storage: db ? "postgres" : "files",
    async close() {
      await gallery.close();
      await keys.close();
      await audit.close();
      await webhooks.close();
      await review.close();
      await policies.close();
      await challenges.close();
      journal?.close();
      transactions?.close();
      await db?.close();
      lock?.release();
    },
  };
}

/**
 * FACEREC_ANN_MIN_TEMPLATES: tenants' partitions of at least this many templates are searched through a
 * code index (see CodeIndex), re-scored exactly; "off" searches exactly everywhere. Unset: DEFAULT_ANN_OPTIONS.minTemplates.
 */
export function annFromEnv(env: NodeJS.ProcessEnv): { ann?: Partial<AnnOptions> | false } {
  const raw = env.FACEREC_ANN_MIN_TEMPLATES;
  if (!raw) return {};
  if (raw === "off") return { ann: false };
  const minTemplates = Number(raw);
  if (!Number.isInteger(minTemplates) || minTemplates < 0) {
    throw new RangeError(`FACEREC_ANN_MIN_TEMPLATES=${raw} is not a whole number of templates or "off"`);
  }
  return { ann: { minTemplates } };
}

/**
 * The gallery as the product runs it: the global threshold at the deployment's target (DEFAULT_TARGET),
 * the liveness gate at the pack's photo threshold (else its APCER-5% one), and the vectors in Qdrant when QDRANT_URL is
 * set. Aligned crops are kept only when FACEREC_RETAIN_CROPS=1: needed to re-embed after a model
 * change, off by default as data minimisation asks.
 */
export async function openProductGallery(store: GalleryStore, engine: FaceEngine, env: NodeJS.ProcessEnv): Promise<Gallery> {
  // A deployment may override the calibrated values (FACEREC_GLOBAL_THRESHOLD, FACEREC_MIN_QUALITY,
  // FACEREC_MIN_LIVENESS); unset or empty keeps the pack's.
  const override = (name: string): number | undefined => {
    const raw = env[name];
    if (!raw) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < -1 || value > 1) throw new RangeError(`${name}=${raw} is not a number in [-1, 1]`);
    return value;
  };
  const global = override("FACEREC_GLOBAL_THRESHOLD") ?? thresholdAtTarget(engine.embedder, DEFAULT_TARGET);
  // One uploaded photo is judged at the pack's photo threshold: a still refused 5% of real web photos
  // there, where the APCER-5% threshold of camera frames refused 16% (see docs/liveness.md).
  const livenessThresholds = engine.liveness?.model.thresholds;
  const minLiveness =
    override("FACEREC_MIN_LIVENESS") ??
    livenessThresholds?.["photo_bpcer_5e-2"] ??
    livenessThresholds?.["apcer_5e-2"] ??
    DEFAULT_POLICY.minLiveness;
  const minQuality = override("FACEREC_MIN_QUALITY") ?? DEFAULT_POLICY.minQuality;
  return Gallery.open({
    store,
    dims: engine.embedder.dims,
    thresholds: { ...DEFAULT_THRESHOLD_OPTIONS, global },
    policy: { minLiveness, minQuality },
    retainCrops: env.FACEREC_RETAIN_CROPS === "1",
    ...annFromEnv(env),
    ...(env.QDRANT_URL ? { index: new QdrantIndex({ url: env.QDRANT_URL, dims: engine.embedder.dims }) } : {}),
  });
}
