import { randomBytes } from "node:crypto";
import { isToken } from "@facerec/common";
import { type DeliveryAttempt, DestinationError, type Webhook, type WebhookDispatcher } from "@facerec/notify";
import type { OperationContext } from "../context.js";
import { BadRequestError, RateLimitError, WebhookNotFoundError } from "../errors.js";

/** What a caller sees of a webhook: everything but its secret. */
export type WebhookView = Omit<Webhook, "secret" | "deletedAt">;

/** A webhook as asked for: the receiver's URL and the filters (empty or absent: every decision). */
export type WebhookRequest = { url: string; outcomes?: string[]; cameras?: string[]; subjects?: string[] };

/** The decision outcomes a webhook may filter on (the match events' words). */
export const OUTCOMES = ["match", "unknown", "rejected-quality", "rejected-spoof", "rejected-camera"] as const;

/** Attempts a delivery-log page shows at most. */
const DELIVERY_LOG_PAGE = 100;

/** The tenant's webhooks: register (the secret shown once), list, delete, and their delivery log. */
export function webhookOperations(ctx: OperationContext) {
  const { limits } = ctx;

  const check = (r: WebhookRequest): void => {
    let url: URL;
    try {
      url = new URL(r.url);
    } catch {
      throw new BadRequestError("url must be an absolute http:// or https:// URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new BadRequestError("url must be http:// or https://");
    if (r.url.length > limits.webhookUrl) throw new BadRequestError(`url is longer than ${limits.webhookUrl} characters`);
    const unknown = (r.outcomes ?? []).filter((o) => !(OUTCOMES as readonly string[]).includes(o));
    if (unknown.length) throw new BadRequestError(`outcomes: ${unknown.join(", ")} is not one of ${OUTCOMES.join(", ")}`);
    for (const [name, list] of [
      ["cameras", r.cameras],
      ["subjects", r.subjects],
    ] as const) {
      if ((list ?? []).length > limits.webhookFilterEntries)
        throw new BadRequestError(`${name}: at most ${limits.webhookFilterEntries} entries`);
      if ((list ?? []).some((v) => !isToken(v)))
        throw new BadRequestError(`${name}: each entry must be 1-64 letters, digits, _ or -`);
    }
  };

  /**
   * The destination policy's check of the URL, as every delivery attempt makes it again: a URL whose
   * host is, or resolves to, an internal address (loopback, private, link-local, ...) the operator has
   * not allowed, or does not resolve, is refused here with the reason rather than failing every delivery.
   */
  const checkDestination = async (webhooks: WebhookDispatcher, url: string): Promise<void> => {
    try {
      await webhooks.destinations.check(url);
    } catch (error) {
      if (error instanceof DestinationError) throw new BadRequestError(`url: ${error.message}`);
      throw error;
    }
  };

  return {
    /**
     * Register a webhook in the caller's tenant; its signing secret is in this answer only. Decisions
     * that pass its filters are POSTed to it, signed, and retried when it fails (see WebhookDispatcher).
     */
    createWebhook: ctx.operation(
      "createWebhook",
      async (call, r: WebhookRequest): Promise<{ secret: string; webhook: WebhookView }> => {
        const webhooks = ctx.webhooks();
        check(r);
        // Outside the transaction (declared `prepares`): the host's lookup may take seconds.
        await checkDestination(webhooks, r.url);
        return call.atomic(async () => {
          if ((await webhooks.store.list(call.tenant)).length >= limits.webhooksPerTenant)
            throw new BadRequestError(`a tenant may have at most ${limits.webhooksPerTenant} webhooks; delete one first`);
          const hook: Webhook = {
            id: randomBytes(8).toString("hex"),
            tenant: call.tenant,
            url: r.url,
            outcomes: [...new Set(r.outcomes ?? [])],
            cameras: [...new Set(r.cameras ?? [])],
            subjects: [...new Set(r.subjects ?? [])],
            secret: `whsec_${randomBytes(32).toString("base64url")}`,
            createdAt: new Date().toISOString(),
          };
          await webhooks.store.insert(hook);
          webhooks.changed(call.tenant);
          await call.record(`created ${hook.id}`);
          const { secret, ...webhook } = hook;
          return { secret, webhook };
        });
      },
    ),

    listWebhooks: ctx.operation(
      "listWebhooks",
      async (call): Promise<WebhookView[]> =>
        (await ctx.webhooks().store.list(call.tenant)).map(({ secret: _, ...view }) => view),
    ),

    /** Delete a webhook of the caller's tenant: deliveries not yet attempted are not made. */
    deleteWebhook: ctx.operation("deleteWebhook", async (call, id: string): Promise<Record<string, never>> => {
      ctx.checkId("id", id);
      const webhooks = ctx.webhooks();
      if (!(await webhooks.store.remove(call.tenant, id, new Date().toISOString())))
        throw new WebhookNotFoundError(`no webhook ${id} in this tenant`);
      webhooks.changed(call.tenant);
      await call.record(`deleted ${id}`);
      return {};
    }),

    /** Send one webhook of the caller's tenant a signed test body now, and say what its receiver did. */
    testWebhook: ctx.operation(
      "testWebhook",
      async (call, id: string): Promise<{ delivered: boolean; status?: number; error?: string }> => {
        ctx.checkId("id", id);
        const webhooks = ctx.webhooks();
        const hook = (await webhooks.store.list(call.tenant)).find((h) => h.id === id);
        if (!hook) throw new WebhookNotFoundError(`no webhook ${id} in this tenant`);
        const sent = await webhooks.test(hook);
        if (sent === "busy") throw new RateLimitError(`a test delivery to webhook ${id} is under way; try again when it ends`, 1);
        await call.record(sent.delivered ? `test delivered ${id}` : `test failed ${id}`);
        return sent;
      },
    ),

    /** The newest delivery attempts of one webhook of the caller's tenant, newest first. */
    listWebhookDeliveries: ctx.operation(
      "listWebhookDeliveries",
      async (call, id: string, limit: number = DELIVERY_LOG_PAGE): Promise<DeliveryAttempt[]> => {
        ctx.checkId("id", id);
        const webhooks = ctx.webhooks();
        if (!(await webhooks.store.list(call.tenant)).some((h) => h.id === id))
          throw new WebhookNotFoundError(`no webhook ${id} in this tenant`);
        return webhooks.store.attempts(call.tenant, id, Math.min(Math.max(1, limit), DELIVERY_LOG_PAGE));
      },
    ),
  };
}
