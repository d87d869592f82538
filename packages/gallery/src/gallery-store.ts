import { apiFailure } from "@facerec/common";
import type { Watch } from "@facerec/storage";

/** A subject's consent to enrolment, as the tenant recorded it (the evidence itself stays with the tenant). */
export interface ConsentRecord {
  /** The lawful basis: `consent` (explicit opt-in) or the other basis the tenant relies on. */
  basis: string;
  /** When it was given (ISO 8601). */
  givenAt: string;
  /** The version of the transparency notice the person was shown. */
  noticeVersion: string;
  /** Where the tenant keeps the evidence, e.g. a signed form's number. */
  evidenceRef: string;
}

export interface Subject {
  id: string;
  tenant: string;
  name: string;
  metadata: Record<string, string>;
  createdAt: string;
  consent?: ConsentRecord;
}

export interface Template {
  id: string;
  tenant: string;
  subject: string;
  model: string;
  quality: number;
  createdAt: string;
  /** Where the retained aligned crop is (a file name, or `db`), when crops are kept (GalleryOptions.retainCrops). */
  crop?: string;
}

/** A template with its embedding, as the system of record holds it. */
export interface StoredTemplate extends Template {
  vector: Float32Array;
}

/** A subject as the store holds it now; `subject` is undefined once it was erased. */
export interface SubjectState {
  tenant: string;
  id: string;
  subject?: Subject;
  templates: StoredTemplate[];
}

export class NotFoundError extends apiFailure(404, "NOT_FOUND") {
  override readonly name = "NotFoundError";
}

/**
 * The gallery's system of record: subjects, templates with their embeddings and (where retained)
 * aligned crops. Every write is durable when it resolves. Two adapters pass one conformance suite: a
 * local record log (embedded mode) and PostgreSQL (distributed mode, shared by every replica, whose
 * changes each replica follows through `watch`).
 */
export interface GalleryStore {
  /** Everything stored now: a replica's starting state. */
  load(): Promise<{ subjects: Subject[]; templates: StoredTemplate[] }>;
  createSubject(subject: Subject): Promise<void>;
  /** Replace a subject's name and metadata; NotFoundError when it does not exist (or was erased). */
  updateSubject(subject: Subject): Promise<void>;
  /** Add templates (with the crop bytes where retained) in one write; NotFoundError when a subject is gone. */
  addTemplates(items: readonly { template: StoredTemplate; crop?: Uint8Array }[]): Promise<StoredTemplate[]>;
  /** Remove a subject with its templates and crops, leaving only a tombstone of its id; NotFoundError when absent. */
  erase(tenant: string, subject: string): Promise<{ templates: number }>;
  /** Whether the subject existed and was erased. */
  wasErased(tenant: string, subject: string): Promise<boolean>;
  /**
   * Run `undo` if the transaction the current write runs in rolls back (PostgreSQL, where an
   * operation's change and its audit entry commit together); files write at once, so never there.
   */
  onRollback(undo: () => void): void;
  /** The subject as stored now (without `subject` when it is not there). */
  stateOf(tenant: string, id: string): Promise<SubjectState>;
  /** The retained crop of a template (PNG bytes). */
  crop(template: Template): Promise<Buffer | undefined>;
  /** Be told of subjects other writers changed, with their state now. */
  watch(onChanged: (states: SubjectState[]) => Promise<void>): Watch;
  close(): Promise<void>;
}

/** The embedding's bytes (float32, little-endian) and back; the copy keeps the vector aligned. */
export function vectorBytes(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function vectorOf(bytes: Uint8Array): Float32Array {
  const v = new Float32Array(bytes.length / 4);
  new Uint8Array(v.buffer).set(bytes);
  return v;
}
