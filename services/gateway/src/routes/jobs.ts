import { JOB_KINDS, type JobSpec } from "@facerec/pipeline";
import type { FastifyInstance } from "fastify";
import type { Recognition } from "../recognition.js";

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

/** JSON Schema's if/then: a job of `kind` must carry `field`. */
function requires(kind: string, field: string): object {
  // biome-ignore lint/suspicious/noThenProperty: "then" is a JSON Schema keyword here, not a thenable.
  return { if: { properties: { kind: { const: kind } } }, then: { required: [field] } };
}

/** Long jobs on BullMQ (distributed mode): start one, follow it. */
export function jobRoutes(app: FastifyInstance, recognition: Recognition): void {
  const tags = ["jobs"];
  app.post<{ Body: Omit<JobSpec, "tenant"> }>(
    "/v1/jobs",
    {
      schema: {
        tags,
        summary: "Start a job: bulk enrolment from a folder, re-embedding, erasure, recalibration or reindexing",
        // One object with if/then rather than oneOf: Fastify's validator strips unknown properties while
        // it tries each oneOf branch, which would drop the fields of the branch that matches.
        body: {
          type: "object",
          required: ["kind"],
          additionalProperties: false,
          properties: {
            kind: { enum: [...JOB_KINDS] },
            folder: { type: "string", minLength: 1, maxLength: 1000, description: "enrol-folder: below FACEREC_IMPORT_DIR" },
            subjectId: { type: "string", minLength: 1, maxLength: 100, description: "erase: the subject" },
          },
          allOf: [requires("enrol-folder", "folder"), requires("erase", "subjectId")],
        },
        response: { 202: job },
      },
    },
    async (request, reply) => {
      const key = request.headers["idempotency-key"];
      const job = await recognition.addJob(request.principal, request.body as never, typeof key === "string" ? key : undefined);
      return reply.status(202).send(job);
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/jobs/:id",
    {
      schema: {
        tags,
        summary: "A job's state, progress and result",
        params: { type: "object", required: ["id"], properties: { id: { type: "string", maxLength: 200 } } },
        response: { 200: job },
      },
    },
    async (request) => recognition.getJob(request.principal, request.params.id),
  );
}
