import { ApiFailure, apiFailure } from "@facerec/common";
import { isTransient } from "@facerec/storage";

/** Too many requests or streams for one API key. */
export class RateLimitError extends apiFailure(429, "RESOURCE_EXHAUSTED") {
  override readonly name = "RateLimitError";
  override readonly notStarted = true;
  constructor(
    message: string,
    override readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** A request that is well-formed but asks for something invalid. */
export class BadRequestError extends apiFailure(400, "INVALID_ARGUMENT") {
  override readonly name = "BadRequestError";
}

/** More input than a request may carry. */
export class TooLargeError extends apiFailure(413, "RESOURCE_EXHAUSTED") {
  override readonly name = "TooLargeError";
}

/** A multipart upload without a declared length. */
export class LengthRequiredError extends apiFailure(411, "INVALID_ARGUMENT") {
  override readonly name = "LengthRequiredError";
}

/** A part of the product this deployment does not run. */
export class UnavailableError extends apiFailure(503, "UNAVAILABLE") {
  override readonly name = "UnavailableError";
}

/** No such webhook in the caller's tenant. */
export class WebhookNotFoundError extends apiFailure(404, "NOT_FOUND") {
  override readonly name = "WebhookNotFoundError";
}

/** The tenant's policy asks for something the request lacks: a consent record to enrol. */
export class ConsentRequiredError extends apiFailure(412, "FAILED_PRECONDITION") {
  override readonly name = "ConsentRequiredError";
}

/** The process is at capacity; the request was not started. */
export class OverloadedError extends apiFailure(503, "UNAVAILABLE") {
  override readonly name = "OverloadedError";
  override readonly retryAfterSeconds = 1;
  override readonly notStarted = true;
}

/**
 * The API's error vocabulary: every status a caller can get, over REST and gRPC alike, and when. The
 * README's error table lists exactly these rows (a test holds them together).
 */
export const API_ERRORS = [
  {
    status: 400,
    code: "INVALID_ARGUMENT",
    when: "bad JSON, schema, corrupt, truncated, empty or non-image data, no face, malformed protobuf, a value over its limit",
  },
  { status: 401, code: "UNAUTHENTICATED", when: "missing, unknown or revoked key" },
  { status: 403, code: "PERMISSION_DENIED", when: "the key lacks the operation's scope" },
  {
    status: 404,
    code: "NOT_FOUND",
    when: "no such subject, job, API key, webhook, review cluster or open liveness challenge in the caller's tenant (another tenant's included)",
  },
  { status: 408, code: "DEADLINE_EXCEEDED", when: "the request body did not arrive within 30 s (REST)" },
  { status: 411, code: "INVALID_ARGUMENT", when: "a multipart upload without `Content-Length` (REST)" },
  {
    status: 412,
    code: "FAILED_PRECONDITION",
    when: "the tenant's policy requires a consent record and the enrolment (or the subject enrolled into) has none",
  },
  {
    status: 413,
    code: "RESOURCE_EXHAUSTED",
    when: "a request over 30 MiB (1 MiB without images), an image over 20 MiB or 40 megapixels, more than 20 images in one enrolment, 9 frames after an identify's or verify's image or 100 frames in one liveness challenge",
  },
  {
    status: 429,
    code: "RESOURCE_EXHAUSTED",
    when: "over 600 requests a minute for one key, 30 failed authentications a minute for one key id or address, 8 open match streams, or 1,000 open liveness challenges (250 for one tenant) (`Retry-After` says when to retry)",
  },
  {
    status: 503,
    code: "UNAVAILABLE",
    when: "the gateway is at capacity (`Retry-After: 1`), its state or audit trail cannot be written (a full disk; nothing is changed), or a part this deployment does not run (the job API without `REDIS_URL`)",
  },
  { status: 500, code: "INTERNAL", when: "anything else, with no detail (logged with its stack)" },
] as const;

export type ApiError = { status: number; code: string; message: string; retryAfterSeconds?: number; notStarted?: boolean };

/**
 * What a thrown error means to a caller: its HTTP status, gRPC status name and message. Typed errors
 * carry their own (see ApiFailure); a full disk and fastify's own 4xx errors are the only untyped
 * failures a caller is told about.
 */
export function httpStatusOf(error: unknown): ApiError {
  if (error instanceof ApiFailure) {
    return {
      status: error.status,
      code: error.grpcCode,
      message: error.publicMessage,
      ...(error.retryAfterSeconds ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
      ...(error.notStarted ? { notStarted: true } : {}),
    };
  }
  const errno = (error as NodeJS.ErrnoException).code;
  if (errno === "ENOSPC" || errno === "EDQUOT") {
    return {
      status: 503,
      code: "UNAVAILABLE",
      message: "the gateway cannot write its state: no space left; nothing was changed",
    };
  }
  // PostgreSQL restarting or out of reach: every route says so the same way, with a retry hint.
  if (isTransient(error)) {
    return {
      status: 503,
      code: "UNAVAILABLE",
      message: "the system of record cannot be reached; nothing was changed, retry shortly",
      retryAfterSeconds: 1,
    };
  }
  const fastify = error as { statusCode?: number; message?: string };
  if (fastify.statusCode && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    const known = API_ERRORS.find((e) => e.status === fastify.statusCode);
    return { status: fastify.statusCode, code: known?.code ?? "INVALID_ARGUMENT", message: fastify.message ?? "bad request" };
  }
  return { status: 500, code: "INTERNAL", message: "internal error" };
}
