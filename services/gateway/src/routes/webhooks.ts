import { OUTCOMES, type Recognition, type WebhookRequest } from "@facerec/operations";
import type { FastifyInstance } from "fastify";

const webhook = {
  type: "object",
  properties: {
    id: { type: "string" },
    tenant: { type: "string" },
    url: { type: "string" },
    outcomes: { type: "array", items: { type: "string" } },
    cameras: { type: "array", items: { type: "string" } },
    subjects: { type: "array", items: { type: "string" } },
    createdAt: { type: "string" },
  },
} as const;

const attempt = {
  type: "object",
  properties: {
    deliveryId: { type: "string" },
    eventId: { type: "string" },
    attempt: { type: "integer" },
    status: { type: "integer" },
    error: { type: "string" },
    delivered: { type: "boolean" },
    at: { type: "string" },
  },
} as const;

const params = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", pattern: "^[0-9a-f]{16}$" } },
} as const;

const filter = { type: "array", maxItems: 100, uniqueItems: true, items: { type: "string", maxLength: 64 } } as const;

/**
 * The tenant's webhooks (admin scope): register one (its signing secret is shown once), list them,
 * delete one, and read one's delivery log. The rules (URL, filters, limits) are the operation layer's.
 */
export function webhookRoutes(app: FastifyInstance, recognition: Recognition): void {
  const tags = ["webhooks"];
  app.post<{ Body: WebhookRequest }>(
    "/v1/webhooks",
    {
      schema: {
        tags,
        operationId: "createWebhook",
        summary: "Register a webhook: decisions that pass its filters are POSTed to it, signed with the secret in this answer",
        body: {
          type: "object",
          required: ["url"],
          additionalProperties: false,
          properties: {
            url: { type: "string", minLength: 1, maxLength: 2048 },
            outcomes: { type: "array", uniqueItems: true, items: { enum: [...OUTCOMES] } },
            cameras: filter,
            subjects: filter,
          },
        },
        response: { 201: { type: "object", properties: { secret: { type: "string" }, webhook } } },
      },
    },
    async (request, reply) => reply.status(201).send(await recognition.createWebhook(request.principal, request.body)),
  );

  app.get(
    "/v1/webhooks",
    {
      schema: {
        tags,
        operationId: "listWebhooks",
        summary: "List the tenant's webhooks (never their secrets)",
        response: { 200: { type: "object", properties: { webhooks: { type: "array", items: webhook } } } },
      },
    },
    async (request) => ({ webhooks: await recognition.listWebhooks(request.principal) }),
  );

  app.delete<{ Params: { id: string } }>(
    "/v1/webhooks/:id",
    {
      schema: {
        tags,
        operationId: "deleteWebhook",
        summary: "Delete a webhook; deliveries not yet attempted are not made",
        params,
        response: { 204: { type: "null" } },
      },
    },
    async (request, reply) => {
      await recognition.deleteWebhook(request.principal, request.params.id);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    "/v1/webhooks/:id/deliveries",
    {
      schema: {
        tags,
        operationId: "listWebhookDeliveries",
        summary: "The webhook's newest delivery attempts, newest first: status or error, attempt number",
        params,
        querystring: { type: "object", properties: { limit: { type: "integer", minimum: 1, maximum: 100 } } },
        response: { 200: { type: "object", properties: { attempts: { type: "array", items: attempt } } } },
      },
    },
    async (request) => ({
      attempts: await recognition.listWebhookDeliveries(request.principal, request.params.id, request.query.limit),
    }),
  );

  app.post<{ Params: { id: string } }>(
    "/v1/webhooks/:id/test",
    {
      schema: {
        tags,
        operationId: "testWebhook",
        summary: "Send the webhook a signed test body now (type `test`, no decision) and say what its receiver did",
        params,
        response: {
          200: {
            type: "object",
            properties: {
              delivered: { type: "boolean" },
              status: { type: "integer", description: "the receiver's HTTP status, where it answered" },
              error: { type: "string" },
            },
          },
        },
      },
    },
    async (request) => recognition.testWebhook(request.principal, request.params.id),
  );
}
