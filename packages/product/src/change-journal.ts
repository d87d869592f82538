import { randomUUID } from "node:crypto";
import type { AuditTrail } from "@facerec/audit";
import type { Gallery } from "@facerec/gallery";
import { type PersonalDataRegistry, receiptText } from "@facerec/privacy";
import { JsonRecordStore } from "@facerec/storage";

/** An erasure begun and not yet audited: who asked, under which word, for which subject. */
export interface ErasureIntent {
  id: string;
  tenant: string;
  subjectId: string;
  keyId: string;
  operation: string;
  requestId: string;
}

type JournalRecord = { type: "begin"; intent: ErasureIntent } | { type: "done"; id: string };

/** The key an intent's audit entry is appended under, so that finishing it twice writes it once. */
export const intentKey = (intent: ErasureIntent): string => `intent:${intent.id}`;

/**
 * Erasures in flight, for local files, where the stores an erasure walks and the audit trail are
 * separate logs with no transaction across them. An intent is written durably before the first store
 * forgets the subject and closed once its audit entry is written; an intent still open at start is
 * finished then (finishErasures): the stores forget what they still hold and the entry is written.
 * So an erasure and its entry are both there or, before the intent, neither. The log is emptied once
 * nothing is open, since an intent names its subject.
 */
export class ChangeJournal {
  private readonly open = new Map<string, ErasureIntent>();
  private readonly store: JsonRecordStore<JournalRecord>;

  constructor(dir: string) {
    // Outside transactions: an intent is durable before the erasure's first change, not with its commit.
    this.store = JsonRecordStore.open(
      dir,
      "intents.log",
      (r: JournalRecord) => {
        if (r.type === "begin") this.open.set(r.intent.id, r.intent);
        else this.open.delete(r.id);
      },
      { outsideTransactions: true },
    );
  }

  begin(intent: Omit<ErasureIntent, "id">): ErasureIntent {
    const full = { ...intent, id: randomUUID() };
    this.store.append({ type: "begin", intent: full });
    return full;
  }

  done(id: string): void {
    this.store.append({ type: "done", id });
    if (this.open.size === 0) this.store.rewrite([]);
  }

  pending(): ErasureIntent[] {
    return [...this.open.values()];
  }

  close(): void {
    this.store.close();
  }
}

/**
 * Finish the erasures a stopped process left open: each registered store forgets what it still holds
 * of the subject (nothing, when the process died after them) and the entry is written under the
 * intent's key. Returns how many were finished.
 */
export async function finishErasures(
  journal: ChangeJournal,
  stores: { gallery: Gallery; personalData: PersonalDataRegistry; audit: AuditTrail },
): Promise<number> {
  const open = journal.pending();
  for (const intent of open) {
    const subject = stores.gallery.peekSubject(intent.tenant, intent.subjectId);
    const decision = subject
      ? `${receiptText(await stores.personalData.erase(intent.tenant, subject))} (finished at restart)`
      : "erased (finished at restart: every store had already forgotten the subject)";
    await stores.audit.append(
      {
        tenant: intent.tenant,
        keyId: intent.keyId,
        operation: intent.operation,
        decision,
        subjectId: intent.subjectId,
        requestId: intent.requestId,
      },
      { dedupeKey: intentKey(intent) },
    );
    journal.done(intent.id);
  }
  return open.length;
}
