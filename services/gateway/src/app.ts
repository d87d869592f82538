import type { AuditLog } from "@facerec/audit";
import { type ApiKeyStore, AuthError, type Principal } from "@facerec/auth";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { httpStatusOf, RateLimitError } from "./errors.js";
import { RateLimiter } from "./rate-limit.js";
import type { Recognition } from "./recognition.js";

export interface AppOptions {
  /** Largest request body, in bytes (base64 images count at 4/3 of their size). */
  bodyLimit?: number;
  /** Requests taking longer are answered 503 and their socket closed. */
  requestTimeoutMs?: number;
  /** Requests a minute per API key (token bucket); 0 turns the limit off. */
  ratePerMinute?: number;
}

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal;
  }
}

const image = { type: "string", contentEncoding: "base64", minLength: 1 } as const;
const subjectParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", minLength: 1, maxLength: 100 } },
} as const;

function decodeBase64(text: string): Uint8Array {
  return Buffer.from(text, "base64");
}

/** The REST API: JSON with base64 images, an API key in `x-api-key`, every route schema-checked. */
export function buildApp(
  recognition: Recognition,
  keys: ApiKeyStore,
  audit: AuditLog,
  options: AppOptions = {},
): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 30 * 1024 * 1024,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logger: false,
  });

  const limiter = (options.ratePerMinute ?? 600) > 0 ? new RateLimiter(options.ratePerMinute ?? 600) : undefined;
  app.decorateRequest("principal", null as unknown as Principal);
  app.addHook("onRequest", async (request: FastifyRequest, reply) => {
    if (request.url === "/healthz") return;
    try {
      request.principal = keys.authenticate(request.headers["x-api-key"] as string | undefined);
    } catch (error) {
      if (error instanceof AuthError) {
        // Rejections are decisions too: who tried is unknown, so the entry is filed under no tenant.
        audit.append({
          tenant: "-",
          keyId: "-",
          operation: `${request.method} ${request.routeOptions.url ?? request.url}`,
          decision: `rejected-auth:${error.reason}`,
          requestId: request.id,
        });
      }
      throw error;
    }
    const allowed = limiter?.take(request.principal.keyId) ?? { ok: true };
    if (!allowed.ok) {
      const p = request.principal;
      audit.append({
        tenant: p.tenant,
        keyId: p.keyId,
        operation: `${request.method} ${request.routeOptions.url ?? request.url}`,
        decision: "rejected-rate-limit",
        requestId: request.id,
      });
      reply.header("retry-after", String(allowed.retryAfterSeconds));
      throw new RateLimitError(`rate limit exceeded; retry in ${allowed.retryAfterSeconds} s`);
    }
  });
  app.setErrorHandler((error, _request, reply) => {
    const { status, code, message } = httpStatusOf(error);
    reply.status(status).send({ error: code, message });
  });

  app.get("/healthz", async () => ({ status: "ok" }));

  app.post<{ Body: { name: string; metadata?: Record<string, string> } }>(
    "/v1/subjects",
    {
      schema: {
        body: {
          type: "object",
          required: ["name"],
          additionalProperties: false,
          properties: {
            name: { type: "string", minLength: 1, maxLength: 200 },
            metadata: { type: "object", additionalProperties: { type: "string", maxLength: 1000 }, maxProperties: 50 },
          },
        },
      },
    },
    async (request, reply) =>
      reply.status(201).send(recognition.createSubject(request.principal, request.body.name, request.body.metadata ?? {})),
  );

  app.get("/v1/subjects", async (request) => ({ subjects: recognition.listSubjects(request.principal) }));

  app.get<{ Params: { id: string } }>("/v1/subjects/:id", { schema: { params: subjectParams } }, async (request) =>
    recognition.getSubject(request.principal, request.params.id),
  );

  app.delete<{ Params: { id: string } }>("/v1/subjects/:id", { schema: { params: subjectParams } }, async (request) =>
    recognition.deleteSubject(request.principal, request.params.id),
  );

  app.post<{ Params: { id: string }; Body: { images: string[] } }>(
    "/v1/subjects/:id/enroll",
    {
      schema: {
        params: subjectParams,
        body: {
          type: "object",
          required: ["images"],
          additionalProperties: false,
          properties: { images: { type: "array", minItems: 1, maxItems: 20, items: image } },
        },
      },
    },
    async (request) => recognition.enroll(request.principal, request.params.id, request.body.images.map(decodeBase64)),
  );

  app.post<{ Body: { image: string } }>(
    "/v1/identify",
    { schema: { body: { type: "object", required: ["image"], additionalProperties: false, properties: { image } } } },
    async (request) => ({
      ...(await recognition.identify(request.principal, decodeBase64(request.body.image))),
      modelId: recognition.modelId,
    }),
  );

  app.post<{ Body: { image: string; subjectId?: string; otherImage?: string } }>(
    "/v1/verify",
    {
      schema: {
        body: {
          type: "object",
          required: ["image"],
          additionalProperties: false,
          properties: { image, subjectId: { type: "string", minLength: 1, maxLength: 100 }, otherImage: image },
          oneOf: [{ required: ["subjectId"] }, { required: ["otherImage"] }],
        },
      },
    },
    async (request) => {
      const { image: probe, subjectId, otherImage } = request.body;
      const against = subjectId ? { subjectId } : { otherImage: decodeBase64(otherImage as string) };
      return recognition.verify(request.principal, decodeBase64(probe), against);
    },
  );

  app.get<{ Querystring: { operation?: string; subjectId?: string; decision?: string; pageSize?: number; pageToken?: string } }>(
    "/v1/audit",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            operation: { type: "string", maxLength: 100 },
            subjectId: { type: "string", maxLength: 100 },
            decision: { type: "string", maxLength: 100 },
            pageSize: { type: "integer", minimum: 1, maximum: 1000 },
            pageToken: { type: "string", pattern: "^[0-9]+$" },
          },
        },
      },
    },
    async (request) => recognition.queryAudit(request.principal, request.query),
  );

  app.get("/v1/audit/verify", async (request) => recognition.verifyAudit(request.principal));

  return app;
}
