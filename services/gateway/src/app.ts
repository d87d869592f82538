import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { AuditTrail } from "@facerec/audit";
import { type ApiKeyStore, AuthError, type Principal } from "@facerec/auth";
import { metricsRegistry } from "@facerec/runtime";
import { repoRoot } from "@facerec/vision";
import multipart from "@fastify/multipart";
import fastifyStatic from "@fastify/static";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { httpStatusOf, RateLimitError } from "./errors.js";
import { GatewayMetrics, instrument } from "./observability.js";
import { RateLimiter } from "./rate-limit.js";
import type { Recognition } from "./recognition.js";
import { auditRefusal, authenticateOrAudit } from "./refusals.js";
import { auditRoutes } from "./routes/audit.js";
import { jobRoutes } from "./routes/jobs.js";
import { keyRoutes } from "./routes/keys.js";
import { matchRoutes } from "./routes/matches.js";
import { recogniseRoutes } from "./routes/recognise.js";
import { error } from "./routes/schemas.js";
import { subjectRoutes } from "./routes/subjects.js";

export interface AppOptions {
  /** Largest JSON body, in bytes (base64 images count at 4/3 of their size). */
  bodyLimit?: number;
  /** Largest file in a multipart upload, in bytes. */
  fileLimit?: number;
  /** Requests whose body takes longer to arrive are answered 408. */
  requestTimeoutMs?: number;
  /** Requests a minute per API key (token bucket); 0 turns the limit off. */
  ratePerMinute?: number;
  /** Structured request logs (pino, JSON lines); off unless given. The API key header is never logged. */
  logger?: boolean;
}

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal;
  }
}

const consoleDir = join(repoRoot, "services", "gateway", "console");

/**
 * The REST API under /v1 (an API key in `x-api-key`, a JSON schema on every route, images as base64
 * JSON or multipart files), its OpenAPI document at /openapi.json with an interactive page at /docs,
 * the web console at /console/, /healthz and Prometheus /metrics.
 */
export async function buildApp(
  recognition: Recognition,
  keys: ApiKeyStore,
  audit: AuditTrail,
  options: AppOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 30 * 1024 * 1024,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logger: options.logger ? { level: process.env.LOG_LEVEL ?? "info", redact: ["req.headers['x-api-key']"] } : false,
    // A caller's x-request-id is kept (up to 64 safe characters) so that logs line up across services.
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
  });
  const metrics = new GatewayMetrics(
    metricsRegistry("gateway"),
    audit,
    () => recognition.galleryStats(),
    () => recognition.jobCounts(),
  );
  recognition.onEngineTime = (operation, seconds) => metrics.engine.observe({ operation }, seconds);
  instrument(app, metrics);
  app.setErrorHandler((err, _request, reply) => {
    const { status, code, message } = httpStatusOf(err);
    reply.status(status).send({ error: code, message });
  });

  await app.register(multipart, {
    attachFieldsToBody: "keyValues",
    limits: { fileSize: options.fileLimit ?? 20 * 1024 * 1024, files: 20, fields: 20, fieldSize: 64 * 1024, parts: 40 },
  });
  await app.register(swagger, {
    openapi: {
      info: { title: "facerec", version: "1", description: "Face enrolment, identification, verification and audit." },
      components: { securitySchemes: { apiKey: { type: "apiKey", in: "header", name: "x-api-key" } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  await app.register(fastifyStatic, { root: consoleDir, prefix: "/console/", decorateReply: false });

  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  app.get("/", { schema: { hide: true } }, async (_request, reply) => reply.redirect("/console/"));

  await app.register(async (api) => {
    const limiter = (options.ratePerMinute ?? 600) > 0 ? new RateLimiter(options.ratePerMinute ?? 600) : undefined;
    api.decorateRequest("principal", null as unknown as Principal);
    api.addHook("onRoute", (route) => {
      route.schema = {
        ...route.schema,
        response: {
          400: error,
          401: error,
          403: error,
          404: error,
          413: error,
          429: error,
          503: error,
          ...(route.schema?.response as object),
        },
      };
    });
    api.addHook("onRequest", async (request: FastifyRequest, reply) => {
      const operation = `${request.method} ${request.routeOptions.url ?? request.url}`;
      request.principal = await authenticateOrAudit(
        keys,
        audit,
        request.headers["x-api-key"] as string | undefined,
        operation,
        request.id,
      );
      const allowed = limiter?.take(request.principal.keyId) ?? { ok: true };
      if (!allowed.ok) {
        await auditRefusal(audit, request.principal, operation, "rejected-rate-limit", request.id);
        reply.header("retry-after", String(allowed.retryAfterSeconds));
        throw new RateLimitError(`rate limit exceeded; retry in ${allowed.retryAfterSeconds} s`);
      }
    });
    api.addHook("onError", async (request, _reply, err) => {
      // Auth and rate-limit refusals were audited where they were made; every other refusal is audited here.
      if (!request.principal || err instanceof AuthError || err instanceof RateLimitError) return;
      const operation = `${request.method} ${request.routeOptions.url ?? request.url}`;
      await auditRefusal(audit, request.principal, operation, `rejected:${httpStatusOf(err).code}`, request.id);
    });
    subjectRoutes(api, recognition);
    recogniseRoutes(api, recognition);
    matchRoutes(api, recognition);
    auditRoutes(api, recognition);
    jobRoutes(api, recognition);
    keyRoutes(api, recognition);
  });
  return app;
}
