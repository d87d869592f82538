import type { Recognition } from "@facerec/operations";
import type { FastifyInstance } from "fastify";

const policy = {
  type: "object",
  properties: {
    consent: {
      type: "object",
      properties: {
        required: { type: "boolean", description: "enrolment is refused (412) without a consent record" },
        noticeVersion: { type: "string", description: "the notice version people consent to" },
      },
    },
    retention: {
      type: "object",
      properties: {
        templatesDays: {
          type: ["integer", "null"],
          description: "a subject whose newest template is older than this is erased by the retention job; null: kept",
        },
        reviewDays: {
          type: ["integer", "null"],
          description:
            "review-queue faces are purged after this (at most the deployment's FACEREC_REVIEW_RETENTION_DAYS); null: the deployment's",
        },
        auditDays: {
          type: ["integer", "null"],
          description: "audit entries older than this are pruned behind a checkpoint (the rest still verifies); null: kept",
        },
      },
    },
    identify: {
      type: "object",
      properties: {
        cameras: {
          description: "`all`, or the cameras whose faces may be identified (others: 403 on the API, `rejected-camera` events)",
          // anyOf, not oneOf: fastify's validator coerces a string to a one-item array, so "all"
          // matched both branches and a policy that said "all" was refused.
          anyOf: [
            { type: "string", enum: ["all"] },
            { type: "array", items: { type: "string" } },
          ],
        },
      },
    },
    thresholds: {
      type: "object",
      properties: {
        targetFmr: {
          type: ["string", "null"],
          description:
            "the false-match rate decisions aim at (1e-2, 1e-3, 1e-4: a threshold the model pack calibrated); null: the deployment's",
        },
      },
    },
    contact: { type: "string", description: "whom the people the system sees can ask" },
    liveness: {
      type: ["string", "null"],
      enum: ["off", "advisory", "required", null],
      description:
        "the liveness policy of the tenant's identifications (a camera the deployment gives its own keeps it); null: the deployment's",
    },
  },
} as const;

const policyVersion = {
  type: "object",
  properties: {
    tenant: { type: "string" },
    version: { type: "integer", description: "0: the default, never set" },
    policy,
    setAt: { type: "string" },
    setBy: { type: "string", description: "the id of the key that set it" },
  },
} as const;

const rate = {
  type: "object",
  properties: { measure: { type: "string" }, value: { type: "number" }, at: { type: "string" }, source: { type: "string" } },
} as const;

const strings = { type: "array", items: { type: "string" } } as const;

/** The tenant's privacy policy (admin) and its transparency notice (any key of the tenant). */
export function privacyRoutes(app: FastifyInstance, recognition: Recognition): void {
  const tags = ["privacy"];
  app.get(
    "/v1/policy",
    {
      schema: {
        tags,
        operationId: "getPolicy",
        summary: "The tenant's privacy policy in force (admin)",
        response: { 200: policyVersion },
      },
    },
    async (request) => recognition.getPolicy(request.principal),
  );

  app.put<{ Body: unknown }>(
    "/v1/policy",
    {
      schema: {
        tags,
        operationId: "setPolicy",
        summary: "Set the tenant's privacy policy: a new version, audited (admin); fields left out take their defaults",
        // The operation layer checks the content, for REST and gRPC alike; here only its shape.
        body: { type: "object", additionalProperties: false, properties: policy.properties },
        response: { 200: policyVersion },
      },
    },
    async (request) => recognition.setPolicy(request.principal, request.body),
  );

  app.get(
    "/v1/notice",
    {
      schema: {
        tags,
        operationId: "getNotice",
        summary: "The tenant's transparency notice: models, measured error rates and their sources, what is kept and how long",
        response: {
          200: {
            type: "object",
            properties: {
              tenant: { type: "string" },
              generatedAt: { type: "string" },
              policyVersion: { type: "integer" },
              noticeVersion: { type: "string" },
              contact: { type: "string" },
              consentRequired: { type: "boolean" },
              models: {
                type: "array",
                items: { type: "object", properties: { role: { type: "string" }, id: { type: "string" } } },
              },
              errorRates: { type: "array", items: rate },
              stored: strings,
              retention: strings,
              liveness: { type: "string" },
              unreadEvidence: strings,
            },
          },
        },
      },
    },
    async (request) => recognition.getNotice(request.principal),
  );
}
