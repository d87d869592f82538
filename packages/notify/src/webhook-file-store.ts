import { JsonRecordStore } from "@facerec/storage";
import { type DeliveryAttempt, WEBHOOK_DEFAULTS, type Webhook, type WebhookStore } from "./webhook-model.js";
import { WebhookSecrets } from "./webhook-secrets.js";

/** A webhook as the log keeps it: its secret sealed, never as given. */
type StoredWebhook = Omit<Webhook, "secret"> & { sealed: string };

type FileRecord =
  | { type: "hook"; hook: StoredWebhook }
  // What earlier versions wrote: a webhook with its secret as given, and a deletion that left the
  // deleted webhook and its secret in the log. Both are read once, and the log rewritten without them.
  | { type: "hook"; hook: Webhook }
  | { type: "deleted"; tenant: string; id: string; at: string };

/**
 * Webhooks in a local record log, each secret sealed (WebhookSecrets: FACEREC_WEBHOOK_KEY, else the
 * folder's own key file); the delivery log in memory, the newest attempts of each webhook (a delivery
 * in embedded mode is retried by this process and does not outlive it either). A deletion rewrites
 * the log without the webhook, so its sealed secret is gone from the disk, not only marked.
 */
export class FileWebhookStore implements WebhookStore {
  private readonly hooks = new Map<string, StoredWebhook>();
  private readonly log = new Map<string, DeliveryAttempt[]>();
  private readonly records: JsonRecordStore<FileRecord>;
  /** An earlier version's records were replayed: the log is rewritten without them once open. */
  private unsealed = false;

  private constructor(
    dir: string,
    private readonly secrets: WebhookSecrets,
  ) {
    this.records = JsonRecordStore.open(dir, "webhooks.log", (r: FileRecord) => this.apply(r));
    if (this.unsealed) this.rewrite([...this.hooks.values()]);
  }

  /** Open `dir`; the secrets are sealed under `secrets`, by default WebhookSecrets.forFolder(dir). */
  static open(dir: string, options: { secrets?: WebhookSecrets } = {}): FileWebhookStore {
    return new FileWebhookStore(dir, options.secrets ?? WebhookSecrets.forFolder(dir));
  }

  private apply(r: FileRecord): void {
    if (r.type === "deleted") {
      if (this.hooks.get(r.id)?.tenant === r.tenant) this.hooks.delete(r.id);
      this.unsealed = true;
    } else if ("sealed" in r.hook) this.hooks.set(r.hook.id, r.hook);
    else {
      const { secret, ...rest } = r.hook;
      this.hooks.set(rest.id, { ...rest, sealed: this.secrets.seal(secret, rest.tenant, rest.id) });
      this.unsealed = true;
    }
  }

  /** Replace the log with exactly these webhooks: atomic (the old log or the new one after a crash), and durable. */
  private rewrite(hooks: StoredWebhook[]): void {
    this.records.rewrite(hooks.map((hook) => ({ type: "hook" as const, hook })));
  }

  async list(tenant: string): Promise<Webhook[]> {
    return [...this.hooks.values()]
      .filter((h) => h.tenant === tenant)
      .map(({ sealed, ...hook }) => ({ ...hook, secret: this.secrets.open(sealed, hook.tenant, hook.id) }));
  }

  async insert(hook: Webhook): Promise<void> {
    if (this.hooks.has(hook.id)) throw new RangeError(`a webhook with id ${hook.id} already exists`);
    const { secret, ...rest } = hook;
    this.records.append({ type: "hook", hook: { ...rest, sealed: this.secrets.seal(secret, hook.tenant, hook.id) } });
  }

  async remove(tenant: string, id: string, _at: string): Promise<boolean> {
    const hook = this.hooks.get(id);
    if (!hook || hook.tenant !== tenant) return false;
    this.rewrite([...this.hooks.values()].filter((h) => h.id !== id));
    this.hooks.delete(id);
    this.log.delete(id);
    return true;
  }

  async forgetSubject(tenant: string, subjectId: string): Promise<{ filters: number; deleted: number }> {
    const naming = [...this.hooks.values()].filter((h) => h.tenant === tenant && h.subjects.includes(subjectId));
    if (naming.length === 0) return { filters: 0, deleted: 0 };
    const alone = naming.filter((h) => h.subjects.length === 1);
    for (const h of naming) {
      if (h.subjects.length === 1) {
        this.hooks.delete(h.id);
        this.log.delete(h.id);
      } else this.hooks.set(h.id, { ...h, subjects: h.subjects.filter((s) => s !== subjectId) });
    }
    // Rewritten, not appended: the log's earlier records would still name the subject.
    this.rewrite([...this.hooks.values()]);
    return { filters: naming.length, deleted: alone.length };
  }

  async recordAttempt(attempt: DeliveryAttempt): Promise<void> {
    const kept = this.log.get(attempt.webhookId) ?? [];
    kept.push(attempt);
    if (kept.length > WEBHOOK_DEFAULTS.logPerWebhook) kept.shift();
    this.log.set(attempt.webhookId, kept);
  }

  async attempts(tenant: string, webhookId: string, limit: number): Promise<DeliveryAttempt[]> {
    return (this.log.get(webhookId) ?? [])
      .filter((a) => a.tenant === tenant)
      .slice(-limit)
      .reverse();
  }

  async close(): Promise<void> {
    this.records.close();
  }
}
