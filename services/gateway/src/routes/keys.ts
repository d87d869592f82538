import { SCOPES } from "@facerec/auth";
import type { Recognition } from "@facerec/operations";
import type { FastifyInstance } from "fastify";

const key = {
  type: "object",
  properties: {
    id: { type: "string" },
    tenant: { type: "string" },
    name: { type: "string" },
    scopes: { type: "array", items: { type: "string" } },
    cameras: { type: "array", items: { type: "string" }, description: "the cameras the key is bound to, if any" },
    createdAt: { type: "string" },
    revokedAt: { type: "string" },
  },
} as const;

const keyParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", pattern: "^[0-9a-f]{16}$" } },
} as const;

/** The tenant's API keys (admin scope): create (the key is shown once), list, revoke. */
export function keyRoutes(app: FastifyInstance, recognition: Recognition): void {
  const tags = ["keys"];
  app.post<{ Body: { name: string; scopes: string[]; cameras?: string[] } }>(
    "/v1/keys",
    {
      schema: {
        tags,
        operationId: "createKey",
        summary: "Create an API key in the caller's tenant; the key is in this answer only",
        body: {
          type: "object",
          required: ["name", "scopes"],
          additionalProperties: false,
          properties: {
            name: { type: "string", minLength: 1, maxLength: 200 },
            scopes: { type: "array", minItems: 1, maxItems: SCOPES.length, uniqueItems: true, items: { enum: [...SCOPES] } },
            cameras: {
              type: "array",
              minItems: 1,
              maxItems: 100,
              items: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" },
              description: "bind the key to these cameras: its identifications are decided and reported as theirs",
            },
          },
        },
        response: { 201: { type: "object", properties: { key: { type: "string" }, record: key } } },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await recognition.createKey(request.principal, request.body.name, request.body.scopes, request.body.cameras)),
  );

  app.get(
    "/v1/keys",
    {
      schema: {
        tags,
        operationId: "listKeys",
        summary: "List the tenant's API keys (never the keys themselves)",
        response: { 200: { type: "object", properties: { keys: { type: "array", items: key } } } },
      },
    },
    async (request) => ({ keys: await recognition.listKeys(request.principal) }),
  );

  app.delete<{ Params: { id: string } }>(
    "/v1/keys/:id",
    {
      schema: {
        tags,
        operationId: "revokeKey",
        summary: "Revoke an API key: every gateway refuses it within the documented bound",
        params: keyParams,
        response: { 200: key },
      },
    },
    async (request) => recognition.revokeKey(request.principal, request.params.id),
  );
}
