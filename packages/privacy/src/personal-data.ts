/** A person as the stores know them: the subject's id, and the name and metadata some stores key on. */
export interface DataSubject {
  id: string;
  name: string;
  metadata: Record<string, string>;
}

/** What one store removed in an erasure, in words a data-protection officer can read. */
export interface StoreErasure {
  store: string;
  removed: number;
  detail: string;
}

/** What one store holds about a person, for subject access: a line of prose and the records, if any. */
export interface StoreExport {
  store: string;
  held: string;
  records: Record<string, unknown>[];
}

/**
 * A store that keeps anything about a person. Each says how it erases a subject and what it holds of
 * one; erasure, consent withdrawal, retention and subject access walk every registered store, so a
 * store is either registered here or shown (by the product's conformance test) to keep nothing
 * about people.
 */
export interface PersonalDataStore {
  /** Its name in receipts and exports ("templates", "review-queue", ...). */
  readonly name: string;
  /** Runs after every other store: the store that holds the subject record itself. */
  readonly last?: boolean;
  erase(tenant: string, subject: DataSubject): Promise<Omit<StoreErasure, "store">>;
  export(tenant: string, subject: DataSubject): Promise<Omit<StoreExport, "store">>;
}

/** What an erasure reached: each registered store, in order, and what it removed. */
export interface ErasureReceipt {
  subjectId: string;
  erasedAt: string;
  stores: StoreErasure[];
}

/** The receipt in one line, as the erasure's audit entry keeps it. */
export function receiptText(r: ErasureReceipt): string {
  return `erased: ${r.stores.map((s) => `${s.store} ${s.detail}`).join("; ")}`;
}

/**
 * The registry of personal data. Erasure runs the stores in the order they were registered, the one
 * holding the subject record itself (the gallery) last, so an erasure that fails part-way leaves the
 * subject in place and a retry reaches every store again.
 */
export class PersonalDataRegistry {
  private readonly stores: PersonalDataStore[] = [];

  register(store: PersonalDataStore): this {
    if (this.stores.some((s) => s.name === store.name))
      throw new Error(`a personal-data store ${store.name} is registered twice`);
    this.stores.push(store);
    return this;
  }

  get names(): string[] {
    return this.ordered().map((s) => s.name);
  }

  /** The stores in the order erasure walks them: those marked `last` after the rest. */
  private ordered(): PersonalDataStore[] {
    return [...this.stores.filter((s) => !s.last), ...this.stores.filter((s) => s.last)];
  }

  async erase(tenant: string, subject: DataSubject): Promise<ErasureReceipt> {
    const stores: StoreErasure[] = [];
    for (const s of this.ordered()) stores.push({ store: s.name, ...(await s.erase(tenant, subject)) });
    return { subjectId: subject.id, erasedAt: new Date().toISOString(), stores };
  }

  async export(tenant: string, subject: DataSubject): Promise<StoreExport[]> {
    const out: StoreExport[] = [];
    for (const s of this.ordered()) out.push({ store: s.name, ...(await s.export(tenant, subject)) });
    return out;
  }
}
