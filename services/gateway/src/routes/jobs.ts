import type { JobRequest, Recognition } from "@facerec/operations";
import { JOB_KINDS } from "@facerec/pipeline";
import type { FastifyInstance } from "fastify";
import { entityId } from "./schemas.js";

const job = {
  type: "object",
  properties: {
    id: { type: "string" },
    kind: { type: "string" },
    tenant: { type: "string" },
    state: { type: "string", description: "waiting, active, delayed, completed or failed" },
    progress: { type: "number", description: "percent done" },
    attempts: { type: "integer" },
    result: { type: "object", additionalProperties: true },
    error: { type: "string" },
  },
} as const;

/** Long jobs on BullMQ (distributed mode): start one, follow it. */
export function jobRoutes(app: FastifyInstance, recognition: Recognition): void {
  const tags = ["jobs"];
  app.post<{ Body: JobRequest }>(
    "/v1/jobs",
    {
      schema: {
        tags,
        operationId: "startJob",
        summary: "Start a job: bulk enrolment from a folder, re-embedding, erasure, recalibration or reindexing",
        // Which kind needs which field is the operation layer's rule (REST and gRPC alike).
        body: {
          type: "object",
          required: ["kind"],
          additionalProperties: false,
          properties: {
            kind: { enum: [...JOB_KINDS] },
            folder: { type: "string", minLength: 1, maxLength: 1000, description: "enrol-folder: below FACEREC_IMPORT_DIR" },
            subjectId: { ...entityId, description: "erase: the subject" },
          },
        },
        response: { 202: job },
      },
    },
    async (request, reply) => {
      const key = request.headers["idempotency-key"];
      const job = await recognition.startJob(request.principal, request.body, typeof key === "string" ? key : undefined);
      return reply.status(202).send(job);
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/jobs/:id",
    {
      schema: {
        tags,
        operationId: "getJob",
        summary: "A job's state, progress and result",
        params: { type: "object", required: ["id"], properties: { id: { type: "string", maxLength: 200 } } },
        response: { 200: job },
      },
    },
    async (request) => recognition.getJob(request.principal, request.params.id),
  );
}
