import type { ConsentRecord } from "@facerec/gallery";
import type { Recognition } from "@facerec/operations";
import type { FastifyInstance } from "fastify";
import { auditEntry, erasure, idParams, imageBody, imageBytes, subject, subjectChange } from "./schemas.js";

type Change = { name?: string; metadata?: Record<string, string>; consent?: ConsentRecord };

/** Subjects: create, list, read, rename, erase, and enrol photos. */
export function subjectRoutes(app: FastifyInstance, recognition: Recognition): void {
  const tags = ["subjects"];
  app.post<{ Body: { name: string; metadata?: Record<string, string>; consent?: ConsentRecord } }>(
    "/v1/subjects",
    {
      schema: {
        tags,
        operationId: "createSubject",
        summary: "Create a subject (with its consent record where the tenant's policy requires one)",
        body: { type: "object", required: ["name"], additionalProperties: false, properties: subjectChange(recognition.limits) },
        response: { 201: subject },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await recognition.createSubject(
            request.principal,
            request.body.name,
            request.body.metadata ?? {},
            request.body.consent,
          ),
        ),
  );

  app.get(
    "/v1/subjects",
    {
      schema: {
        tags,
        operationId: "listSubjects",
        summary: "List the tenant's subjects",
        response: { 200: { type: "object", properties: { subjects: { type: "array", items: subject } } } },
      },
    },
    async (request) => ({ subjects: await recognition.listSubjects(request.principal) }),
  );

  app.get<{ Params: { id: string } }>(
    "/v1/subjects/:id",
    { schema: { tags, operationId: "getSubject", summary: "Read a subject", params: idParams, response: { 200: subject } } },
    async (request) => recognition.getSubject(request.principal, request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    "/v1/subjects/:id/export",
    {
      schema: {
        tags,
        operationId: "exportSubject",
        summary: "Subject access: the subject, its templates' metadata and every audit entry about it (admin)",
        params: idParams,
        response: {
          200: {
            type: "object",
            properties: {
              generatedAt: { type: "string" },
              subject,
              templates: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    id: { type: "string" },
                    model: { type: "string" },
                    quality: { type: "number" },
                    createdAt: { type: "string" },
                    cropRetained: { type: "boolean" },
                  },
                },
              },
              negatives: {
                type: "array",
                items: {
                  type: "object",
                  properties: { id: { type: "string" }, model: { type: "string" }, createdAt: { type: "string" } },
                },
              },
              stores: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    store: { type: "string" },
                    held: { type: "string" },
                    records: { type: "array", items: { type: "object", additionalProperties: true } },
                  },
                },
              },
              decisions: { type: "array", items: auditEntry },
              decisionsTruncated: { type: "boolean" },
              held: { type: "array", items: { type: "string" } },
            },
          },
        },
      },
    },
    async (request) => recognition.exportSubject(request.principal, request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: Change }>(
    "/v1/subjects/:id",
    {
      schema: {
        tags,
        operationId: "updateSubject",
        summary: "Rename a subject, replace its metadata or record its consent",
        params: idParams,
        body: {
          type: "object",
          additionalProperties: false,
          minProperties: 1,
          properties: subjectChange(recognition.limits),
        },
        response: { 200: subject },
      },
    },
    async (request) => recognition.updateSubject(request.principal, request.params.id, request.body),
  );

  app.delete<{ Params: { id: string } }>(
    "/v1/subjects/:id",
    {
      schema: {
        tags,
        operationId: "deleteSubject",
        summary: "Erase a subject from every store that keeps anything about it; answers with the receipt",
        params: idParams,
        response: { 200: erasure },
      },
    },
    async (request) => recognition.deleteSubject(request.principal, request.params.id),
  );

  app.delete<{ Params: { id: string } }>(
    "/v1/subjects/:id/consent",
    {
      schema: {
        tags,
        operationId: "withdrawConsent",
        summary: "The person withdrew consent: the subject is erased as by DELETE /v1/subjects/{id}, audited as a withdrawal",
        params: idParams,
        response: { 200: erasure },
      },
    },
    async (request) => recognition.withdrawConsent(request.principal, request.params.id),
  );

  app.get<{ Params: { id: string }; Querystring: { template?: string } }>(
    "/v1/subjects/:id/crop",
    {
      schema: {
        tags,
        operationId: "getSubjectCrop",
        summary: "A subject's face: a template's aligned 112x112 crop as PNG, the newest kept unless `template` names one",
        params: idParams,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { template: { type: "string", maxLength: 100 } },
        },
        response: { 200: { description: "PNG", content: { "image/png": { schema: { type: "string", format: "binary" } } } } },
      },
    },
    async (request, reply) => {
      const { png, templateId } = await recognition.getSubjectCrop(request.principal, request.params.id, request.query.template);
      return reply.type("image/png").header("x-template-id", templateId).send(Buffer.from(png));
    },
  );

  app.post<{ Params: { id: string }; Body: { images: (string | Buffer)[] } }>(
    "/v1/subjects/:id/enroll",
    {
      schema: {
        tags,
        operationId: "enroll",
        summary: "Enrol photos of a subject, one template per photo with exactly one usable face",
        params: idParams,
        body: imageBody({ images: "many" }),
        response: {
          200: {
            type: "object",
            properties: {
              templateIds: { type: "array", items: { type: "string" } },
              rejected: {
                type: "array",
                items: { type: "object", properties: { index: { type: "integer" }, reason: { type: "string" } } },
              },
            },
          },
        },
      },
      // A multipart form with one `images` file gives that file, not a list of one: make it a list.
      preValidation: async (request) => {
        const body = request.body as { images?: unknown } | undefined;
        if (request.isMultipart() && body?.images !== undefined && !Array.isArray(body.images)) body.images = [body.images];
      },
    },
    async (request) => recognition.enroll(request.principal, request.params.id, request.body.images.map(imageBytes)),
  );
}
