import type { Recognition } from "@facerec/operations";
import type { FastifyInstance } from "fastify";
import { auditEntry } from "./schemas.js";

const text = { type: "string" } as const;

type Query = {
  operation?: string;
  subjectId?: string;
  decision?: string;
  since?: string;
  until?: string;
  pageSize?: number;
  pageToken?: string;
  order?: "oldest" | "newest";
};

/** The tenant's audit trail, and the check of the whole hash chain. */
export function auditRoutes(app: FastifyInstance, recognition: Recognition): void {
  const tags = ["audit"];
  app.get<{ Querystring: Query }>(
    "/v1/audit",
    {
      schema: {
        tags,
        operationId: "queryAudit",
        summary: "The tenant's audit entries, oldest first (or newest first), filtered and paged",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            operation: { type: "string", maxLength: 100 },
            subjectId: { type: "string", maxLength: 100 },
            decision: { type: "string", maxLength: 100 },
            since: { type: "string", format: "date-time" },
            until: { type: "string", format: "date-time" },
            pageSize: { type: "integer", minimum: 1, maximum: 1000 },
            pageToken: { type: "string", pattern: "^[0-9]+$" },
            order: { type: "string", enum: ["oldest", "newest"], description: "oldest (the default) or newest first" },
          },
        },
        response: {
          200: { type: "object", properties: { entries: { type: "array", items: auditEntry }, nextPageToken: text } },
        },
      },
    },
    async (request) => {
      const { since, until, order, ...rest } = request.query;
      return recognition.queryAudit(request.principal, {
        ...rest,
        ...(order === "newest" ? { newestFirst: true } : {}),
        ...(since ? { since: new Date(since) } : {}),
        ...(until ? { until: new Date(until) } : {}),
      });
    },
  );

  app.get(
    "/v1/audit/verify",
    {
      schema: {
        tags,
        operationId: "verifyAudit",
        summary: "Check the hash chain of the tenant's trail: an edited, removed or cut-off entry breaks it",
        response: {
          200: {
            type: "object",
            properties: {
              tenant: text,
              intact: { type: "boolean" },
              entries: { type: "integer" },
              firstBroken: { type: "integer" },
              reason: text,
              checkpoint: {
                type: "object",
                description: "where the check started: the last entry pruned by the tenant's retention (absent when none was)",
                properties: {
                  sequence: { type: "integer" },
                  hash: text,
                  pruned: { type: "integer", description: "entries pruned so far" },
                  at: text,
                },
              },
            },
          },
        },
      },
    },
    async (request) => recognition.verifyAudit(request.principal),
  );
}
