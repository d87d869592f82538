import type { Database } from "@facerec/storage";
import { type DeliveryAttempt, WEBHOOK_DEFAULTS, type Webhook, type WebhookStore } from "./webhook-model.js";
import { WebhookKeyError, WebhookSecrets } from "./webhook-secrets.js";

type HookRow = {
  id: string;
  tenant: string;
  url: string;
  outcomes: string[];
  cameras: string[];
  subjects: string[];
  /** Sealed; as given where an earlier version stored it and no key has read it since; null once deleted. */
  secret: string | null;
  created_at: string;
  deleted_at: string | null;
};
type AttemptRow = {
  webhook_id: string;
  tenant: string;
  delivery_id: string;
  event_id: string;
  attempt: number;
  status: number | null;
  error: string | null;
  delivered: boolean;
  at: string;
};

const NO_KEY =
  "webhook secrets are sealed with FACEREC_WEBHOOK_KEY, which is not set: set it (32 bytes, base64 or hex) on every gateway and matcher";

/**
 * Webhooks and every delivery attempt in PostgreSQL: any replica delivers, any gateway shows the log.
 * Secrets are sealed under FACEREC_WEBHOOK_KEY (the same key on every replica, from a Secret); a
 * deleted webhook's row keeps no secret.
 */
export class PgWebhookStore implements WebhookStore {
  private readonly secrets: WebhookSecrets | undefined;

  /** `secrets` by default from FACEREC_WEBHOOK_KEY; without it, webhooks can be listed but not created. */
  constructor(
    private readonly db: Database,
    options: { secrets?: WebhookSecrets } = {},
  ) {
    this.secrets = options.secrets ?? WebhookSecrets.fromEnv();
  }

  async list(tenant: string): Promise<Webhook[]> {
    const { rows } = await this.db.query<HookRow>(
      "SELECT * FROM webhooks WHERE tenant = $1 AND deleted_at IS NULL ORDER BY created_at, id",
      [tenant],
    );
    const hooks: Webhook[] = [];
    for (const r of rows) {
      hooks.push({
        id: r.id,
        tenant: r.tenant,
        url: r.url,
        outcomes: r.outcomes,
        cameras: r.cameras,
        subjects: r.subjects,
        secret: await this.secretOf(r),
        createdAt: r.created_at,
      });
    }
    return hooks;
  }

  /** A row's secret, opened; one an earlier version stored as given is sealed in its row now. */
  private async secretOf(r: HookRow): Promise<string> {
    const stored = r.secret ?? "";
    if (WebhookSecrets.isSealed(stored)) {
      if (!this.secrets) throw new WebhookKeyError(NO_KEY);
      return this.secrets.open(stored, r.tenant, r.id);
    }
    if (this.secrets) {
      await this.db.query("UPDATE webhooks SET secret = $3 WHERE id = $1 AND secret = $2", [
        r.id,
        stored,
        this.secrets.seal(stored, r.tenant, r.id),
      ]);
    }
    return stored;
  }

  async insert(h: Webhook): Promise<void> {
    if (!this.secrets) throw new WebhookKeyError(NO_KEY);
    const { rowCount } = await this.db.query(
      `INSERT INTO webhooks (id, tenant, url, outcomes, cameras, subjects, secret, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
      [h.id, h.tenant, h.url, h.outcomes, h.cameras, h.subjects, this.secrets.seal(h.secret, h.tenant, h.id), h.createdAt],
    );
    if (rowCount === 0) throw new RangeError(`a webhook with id ${h.id} already exists`);
  }

  async remove(tenant: string, id: string, at: string): Promise<boolean> {
    // The row stays, marked, for its id; its secret goes.
    const { rowCount } = await this.db.query(
      "UPDATE webhooks SET deleted_at = $3, secret = NULL WHERE tenant = $1 AND id = $2 AND deleted_at IS NULL",
      [tenant, id, at],
    );
    // Its delivery log goes with it (the bodies named people; the log kept only ids and statuses).
    if (rowCount) await this.db.query("DELETE FROM webhook_deliveries WHERE tenant = $1 AND webhook_id = $2", [tenant, id]);
    return (rowCount ?? 0) > 0;
  }

  async forgetSubject(tenant: string, subjectId: string): Promise<{ filters: number; deleted: number }> {
    return this.db.transaction(async (client) => {
      const alone = await client.query(
        `UPDATE webhooks SET deleted_at = $3, secret = NULL
         WHERE tenant = $1 AND deleted_at IS NULL AND subjects = ARRAY[$2]::text[] RETURNING id`,
        [tenant, subjectId, new Date().toISOString()],
      );
      for (const { id } of alone.rows as { id: string }[])
        await client.query("DELETE FROM webhook_deliveries WHERE tenant = $1 AND webhook_id = $2", [tenant, id]);
      // Every record, deleted webhooks' included, loses the id.
      const struck = await client.query(
        "UPDATE webhooks SET subjects = array_remove(subjects, $2) WHERE tenant = $1 AND $2 = ANY(subjects)",
        [tenant, subjectId],
      );
      return { filters: struck.rowCount ?? 0, deleted: alone.rowCount ?? 0 };
    });
  }

  async recordAttempt(a: DeliveryAttempt): Promise<void> {
    await this.db.query(
      `INSERT INTO webhook_deliveries (webhook_id, tenant, delivery_id, event_id, attempt, status, error, delivered, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [a.webhookId, a.tenant, a.deliveryId, a.eventId, a.attempt, a.status ?? null, a.error ?? null, a.delivered, a.at],
    );
    // The log keeps the newest attempts of each webhook, as the local store does.
    await this.db.query(
      `DELETE FROM webhook_deliveries WHERE tenant = $1 AND webhook_id = $2 AND id <= (
         SELECT id FROM webhook_deliveries WHERE tenant = $1 AND webhook_id = $2 ORDER BY id DESC OFFSET $3 LIMIT 1)`,
      [a.tenant, a.webhookId, WEBHOOK_DEFAULTS.logPerWebhook],
    );
  }

  async attempts(tenant: string, webhookId: string, limit: number): Promise<DeliveryAttempt[]> {
    const { rows } = await this.db.query<AttemptRow>(
      "SELECT * FROM webhook_deliveries WHERE tenant = $1 AND webhook_id = $2 ORDER BY id DESC LIMIT $3",
      [tenant, webhookId, limit],
    );
    return rows.map((r) => ({
      webhookId: r.webhook_id,
      tenant: r.tenant,
      deliveryId: r.delivery_id,
      eventId: r.event_id,
      attempt: r.attempt,
      ...(r.status !== null ? { status: r.status } : {}),
      ...(r.error !== null ? { error: r.error } : {}),
      delivered: r.delivered,
      at: r.at,
    }));
  }

  async close(): Promise<void> {}
}
