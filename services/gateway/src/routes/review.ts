import type { Recognition } from "@facerec/operations";
import type { FastifyInstance } from "fastify";

const cluster = {
  type: "object",
  properties: {
    id: { type: "string" },
    tenant: { type: "string" },
    model: { type: "string" },
    faces: { type: "integer" },
    cameras: { type: "array", items: { type: "string" } },
    first: { type: "string" },
    last: { type: "string" },
  },
} as const;

const face = {
  type: "object",
  properties: {
    id: { type: "string" },
    camera: { type: "string" },
    time: { type: "string" },
    quality: { type: "number" },
    outcome: { type: "string", enum: ["unknown", "match"], description: "match: kept because it was a close call" },
    subjectId: { type: "string", description: "the subject a low-margin match named" },
    hasCrop: { type: "boolean", description: "its aligned crop is kept: GET /v1/review/faces/{id}/crop" },
    candidates: {
      type: "array",
      items: {
        type: "object",
        properties: { subjectId: { type: "string" }, score: { type: "number" }, threshold: { type: "number" } },
      },
    },
  },
} as const;

const params = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", minLength: 1, maxLength: 200 } },
} as const;

/**
 * The review queue (enrol scope): unknown faces grouped in clusters, which an operator names (assign to
 * an existing or a new subject: the faces become its templates) or dismisses.
 */
export function reviewRoutes(app: FastifyInstance, recognition: Recognition): void {
  const tags = ["review"];
  app.get<{ Querystring: { limit?: number; offset?: number } }>(
    "/v1/review/clusters",
    {
      schema: {
        tags,
        operationId: "listReviewClusters",
        summary: "The tenant's clusters of unknown faces, the most recently seen first",
        querystring: {
          type: "object",
          properties: { limit: { type: "integer", minimum: 1, maximum: 100 }, offset: { type: "integer", minimum: 0 } },
        },
        response: {
          200: { type: "object", properties: { clusters: { type: "array", items: cluster }, total: { type: "integer" } } },
        },
      },
    },
    async (request) => recognition.listReviewClusters(request.principal, request.query.limit, request.query.offset),
  );

  app.get<{ Params: { id: string } }>(
    "/v1/review/clusters/:id",
    {
      schema: {
        tags,
        operationId: "getReviewCluster",
        summary: "One cluster and its faces: camera, time, quality and the nearest subjects when each was seen",
        params,
        response: { 200: { type: "object", properties: { cluster, faces: { type: "array", items: face } } } },
      },
    },
    async (request) => recognition.getReviewCluster(request.principal, request.params.id),
  );

  app.post<{ Params: { id: string }; Body: { subjectId?: string; name?: string } }>(
    "/v1/review/clusters/:id/assign",
    {
      schema: {
        tags,
        operationId: "assignReviewCluster",
        summary: "Name a cluster: its faces become templates of an existing subject (subjectId) or a new one (name)",
        params,
        body: {
          type: "object",
          additionalProperties: false,
          properties: { subjectId: { type: "string", minLength: 1 }, name: { type: "string", minLength: 1, maxLength: 200 } },
        },
        response: {
          200: {
            type: "object",
            properties: {
              subject: { type: "object", properties: { id: { type: "string" }, name: { type: "string" } } },
              templates: { type: "integer" },
              skipped: { type: "integer" },
            },
          },
        },
      },
    },
    async (request) => recognition.assignReviewCluster(request.principal, request.params.id, request.body),
  );

  app.get<{ Params: { id: string } }>(
    "/v1/review/faces/:id/crop",
    {
      schema: {
        tags,
        operationId: "getReviewFaceCrop",
        summary: "A queued face's aligned 112x112 crop, as PNG (kept only with crop retention on)",
        params,
        response: { 200: { description: "PNG", content: { "image/png": { schema: { type: "string", format: "binary" } } } } },
      },
    },
    async (request, reply) =>
      reply.type("image/png").send(Buffer.from(await recognition.getReviewFaceCrop(request.principal, request.params.id))),
  );

  app.delete<{ Params: { id: string } }>(
    "/v1/review/clusters/:id",
    {
      schema: {
        tags,
        operationId: "dismissReviewCluster",
        summary: "Dismiss a cluster: its faces leave the queue and are kept nowhere",
        params,
        response: { 200: { type: "object", properties: { faces: { type: "integer" } } } },
      },
    },
    async (request) => recognition.dismissReviewCluster(request.principal, request.params.id),
  );
}
