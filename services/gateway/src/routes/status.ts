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
        summary: "The tenant's gallery, review queue and webhooks, the models, audit health, its jobs, liveness and MQTT",
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
              liveness: {
                type: "object",
                description:
                  "the liveness policy the tenant's identifications get, and the deployment's rules for the tenant's cameras",
                properties: {
                  policy: { type: "string", enum: ["off", "advisory", "required"] },
                  source: { type: "string", enum: ["tenant", "deployment"] },
                  cameras: {
                    type: "object",
                    description:
                      "per camera (of those the tenant's keys are bound to), where the deployment gives it its own policy",
                    additionalProperties: { type: "string" },
                  },
                },
              },
              mqtt: {
                type: "object",
                description:
                  "this gateway's MQTT notifications (FACEREC_MQTT_URL): whether configured and connected, what it sent and dropped",
                properties: {
                  configured: { type: "boolean" },
                  connected: { type: "boolean" },
                  published: { type: "integer" },
                  dropped: { type: "integer" },
                },
              },
            },
          },
        },
      },
    },
    async (request) => recognition.getStatus(request.principal),
  );
}
