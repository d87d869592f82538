import type { Recognition } from "@facerec/operations";
import type { FastifyInstance } from "fastify";

/** The tenant's view of the system, for the console's status panel and for monitoring by tenant. */
export function statusRoutes(app: FastifyInstance, recognition: Recognition): void {
  app.get(
    "/v1/status",
    {
      schema: {
        tags: ["status"],
        operationId: "getStatus",
        summary: "The tenant's gallery, review queue and webhooks, the models, audit health and its jobs",
        response: {
          200: {
            type: "object",
            properties: {
              subjects: { type: "integer" },
              templates: { type: "integer" },
              reviewClusters: { type: "integer" },
              webhooks: { type: "integer" },
              models: { type: "array", items: { type: "string" } },
              auditWritable: { type: "boolean" },
              jobs: { type: "object", additionalProperties: { type: "integer" } },
            },
          },
        },
      },
    },
    async (request) => recognition.getStatus(request.principal),
  );
}
