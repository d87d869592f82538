import { join } from "node:path";
import type { AuditTrail } from "@facerec/audit";
import type { Principal } from "@facerec/auth";
import { AuthError } from "@facerec/auth";
import { repoRoot } from "@facerec/common";
import {
  httpStatusOf,
  isOperation,
  LengthRequiredError,
  OPERATIONS,
  type OperationName,
  RateLimitError,
  type Recognition,
  requestIdFrom,
  TooLargeError,
} from "@facerec/operations";
import { metricsRegistry } from "@facerec/runtime";
import multipart from "@fastify/multipart";
import fastifyStatic from "@fastify/static";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import type { Registry } from "prom-client";
import { GatewayMetrics, instrument } from "./observability.js";
import { auditRoutes } from "./routes/audit.js";
import { challengeRoutes } from "./routes/challenges.js";
import { jobRoutes } from "./routes/jobs.js";
import { keyRoutes } from "./routes/keys.js";
import { matchRoutes } from "./routes/matches.js";
import { privacyRoutes } from "./routes/privacy.js";
import { recogniseRoutes } from "./routes/recognise.js";
import { reviewRoutes } from "./routes/review.js";
import { error } from "./routes/schemas.js";
import { statusRoutes } from "./routes/status.js";
import { subjectRoutes } from "./routes/subjects.js";
import { webhookRoutes } from "./routes/webhooks.js";

export interface AppOptions {
  /** Requests whose body takes longer to arrive are answered 408. */
  requestTimeoutMs?: number;
  /** Where the gateway's metrics go; the caller serves it (the ops port). A fresh one by default. */
  registry?: Registry;
  /** Serve HTTPS with this PEM key and certificate (chain); plain HTTP without. */
  tls?: { key: Buffer; cert: Buffer };
  /** Structured request logs (pino, JSON lines); off unless given. The API key header is never logged. */
  logger?: boolean;
  /**
   * Proxies whose X-Forwarded-For is believed (addresses or CIDR ranges): failed authentications count
   * per client address, so behind an ingress that address must be the client's. @default none
   */
  trustedProxies?: string[];
}

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal;
  }
}

/** The operator console as @facerec/console builds it at install time. */
const consoleDir = join(repoRoot, "packages", "console", "dist");
/**
 * The console's content policy: its own scripts and styles only, faces as blob: URLs, no framing (its
 * buttons change things, and its tab holds an API key).
 */
const CONSOLE_CSP = [
  "default-src 'self'",
  "img-src 'self' blob:",
  "media-src 'self' blob: mediastream:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** How long an upload may take before its rate is judged: a slow start (TLS, a phone waking) is not slow. */
const UPLOAD_GRACE_MS = 5000;

/**
 * Ends an upload whose body arrives slower than `minRate` bytes a second (after UPLOAD_GRACE_MS), so
 * that a sender trickling bytes gives its reservation of the upload budget back long before the
 * request timeout would. Reads the socket's byte count: a listener on the body would consume it.
 */
function slowUploadWatch(request: FastifyRequest, minRate: number): NodeJS.Timeout {
  const socket = request.raw.socket;
  const started = Date.now();
  const from = socket.bytesRead;
  const timer = setInterval(() => {
    const elapsed = Date.now() - started;
    if (request.raw.complete || socket.destroyed) return clearInterval(timer);
    if (elapsed < UPLOAD_GRACE_MS || socket.bytesRead - from >= (minRate * elapsed) / 1000) return;
    clearInterval(timer);
    request.log.warn({ elapsed, bytes: socket.bytesRead - from }, "upload slower than the minimum rate: closed");
    socket.destroy();
  }, 1000);
  timer.unref();
  return timer;
}

/** The declared operation a request's route serves (checked for every route when it is added). */
const operationOf = (request: FastifyRequest): OperationName => request.routeOptions.schema?.operationId as OperationName;

/**
 * The REST API under /v1 (an API key in `x-api-key`, a JSON schema on every route, images as base64
 * JSON or multipart files), its OpenAPI document at /openapi.json with an interactive page at /docs,
 * the web console at /console/, and /healthz and /readyz. Metrics go to `options.registry`, which the
 * gateway serves on its ops port, away from the API.
 */
export async function buildApp(recognition: Recognition, audit: AuditTrail, options: AppOptions = {}): Promise<FastifyInstance> {
  const limits = recognition.limits;
  const app = Fastify({
    ...(options.tls ? { https: options.tls } : {}),
    bodyLimit: limits.requestBytes,
    trustProxy: options.trustedProxies?.length ? options.trustedProxies : false,
    // Past this fastify answers 414 before any schema: kept above the ids' 100 so that an over-long id
    // is the 400 of the error table, as over gRPC.
    routerOptions: { maxParamLength: 200 },
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logger: options.logger ? { level: process.env.LOG_LEVEL ?? "info", redact: ["req.headers['x-api-key']"] } : false,
    // A caller's x-request-id is kept when it is a safe token (requestIdFrom), else replaced.
    requestIdHeader: false,
    genReqId: (request) => requestIdFrom(request.headers["x-request-id"]),
  });
  const metrics = new GatewayMetrics(
    options.registry ?? metricsRegistry("gateway"),
    audit,
    () => recognition.galleryStats(),
    () => recognition.jobCounts(),
  );
  recognition.onEngineTime = (operation, seconds) => metrics.engine.observe({ operation }, seconds);
  instrument(app, metrics);
  app.setErrorHandler((err, request, reply) => {
    const { status, code, message, retryAfterSeconds, notStarted } = httpStatusOf(err);
    // An error the API does not know is a defect: logged with its stack, answered without detail.
    if (status >= 500 && code === "INTERNAL") request.log.error({ err }, "unexpected error");
    if (retryAfterSeconds) reply.header("retry-after", String(retryAfterSeconds));
    // The SDK sends a change again only on this word: a 503 of a lost database may follow a commit.
    if (notStarted) reply.header("facerec-not-started", "1");
    reply.status(status).send({ error: code, message });
  });

  await app.register(multipart, {
    attachFieldsToBody: "keyValues",
    limits: {
      fileSize: limits.imageBytes,
      files: limits.enrolImages,
      fields: 20,
      fieldSize: 64 * 1024,
      parts: limits.enrolImages + 20,
    },
  });
  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: { title: "facerec", version: "1", description: "Face enrolment, identification, verification and audit." },
      servers: [{ url: "/", description: "this gateway" }],
      components: { securitySchemes: { apiKey: { type: "apiKey", in: "header", name: "x-api-key" } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  await app.register(fastifyStatic, {
    root: consoleDir,
    prefix: "/console/",
    decorateReply: false,
    setHeaders: (reply) => {
      reply.header("content-security-policy", CONSOLE_CSP);
      reply.header("referrer-policy", "no-referrer");
      reply.header("x-content-type-options", "nosniff");
    },
  });

  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  // Ready while decisions can be audited: a full disk or an unreachable database takes the gateway
  // out of rotation instead of having it answer every change with an error.
  app.get("/readyz", { schema: { hide: true } }, async (_request, reply) => {
    const { writable, reason } = await recognition.auditHealth();
    return writable ? { status: "ready" } : reply.status(503).send({ status: "not ready", reason });
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  app.get("/", { schema: { hide: true } }, async (_request, reply) => reply.redirect("/console/"));

  await app.register(async (api) => {
    api.decorateRequest("principal", null as unknown as Principal);
    api.addHook("onRoute", (route) => {
      // Every API route is one declared operation, named by its OpenAPI operationId.
      const id = route.schema?.operationId;
      if (!id || !isOperation(id)) throw new Error(`${route.method} ${route.url}: operationId ${id} is not a declared operation`);
      // A chunked body has no declared length to refuse early: the route's own limit bounds it.
      route.bodyLimit = OPERATIONS[id].quota === "image" ? limits.requestBytes : limits.plainRequestBytes;
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
      const operation = operationOf(request);
      request.principal = await recognition.admit(
        request.headers["x-api-key"] as string | undefined,
        operation,
        request.id,
        request.ip,
      );
      // The body is not read yet: refuse what would not fit before it costs memory. Node stops reading a
      // body at its Content-Length, so a declared length bounds it; a chunked JSON body is bounded by
      // bodyLimit, but the multipart parser reads the socket itself, so it needs a declared length.
      const declared = Number(request.headers["content-length"] ?? Number.NaN);
      const chunked = request.headers["transfer-encoding"] !== undefined;
      if (!Number.isFinite(declared) && !chunked) return;
      if (!Number.isFinite(declared) && request.headers["content-type"]?.startsWith("multipart/")) {
        throw new LengthRequiredError("a multipart upload needs a Content-Length header");
      }
      // Only operations declared to carry images take large bodies; the rest are small JSON, held to
      // their own limit and never queued behind uploads in flight.
      const limit = OPERATIONS[operation].quota === "image" ? limits.requestBytes : limits.plainRequestBytes;
      if (declared > limit) throw new TooLargeError(`the request is ${declared} bytes; the limit is ${limit}`);
      // A client gone while it was admitted holds nothing: its response has closed already.
      if (OPERATIONS[operation].quota !== "image" || request.raw.destroyed) return;
      const give = recognition.uploads.reserve(
        request.principal.tenant,
        Number.isFinite(declared) ? declared : limits.requestBytes,
      );
      const watch = slowUploadWatch(request, limits.minUploadBytesPerSecond);
      // However the exchange ends (answered, aborted, the socket destroyed), the response closes: the
      // one place the reservation goes back.
      reply.raw.once("close", () => {
        clearInterval(watch);
        give();
      });
    });
    api.addHook("onError", async (request, _reply, err) => {
      // Auth and rate-limit refusals were audited where they were made; every other refusal is audited here.
      if (!request.principal || err instanceof AuthError || err instanceof RateLimitError) return;
      await recognition.refused(request.principal, operationOf(request), `rejected:${httpStatusOf(err).code}`, request.id);
    });
    subjectRoutes(api, recognition);
    recogniseRoutes(api, recognition);
    matchRoutes(api, recognition);
    auditRoutes(api, recognition);
    jobRoutes(api, recognition);
    keyRoutes(api, recognition);
    webhookRoutes(api, recognition);
    reviewRoutes(api, recognition);
    statusRoutes(api, recognition);
    privacyRoutes(api, recognition);
    challengeRoutes(api, recognition);
  });
  return app;
}
