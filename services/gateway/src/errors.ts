import { AuthError, ForbiddenError, KeyNotFoundError } from "@facerec/auth";
import { NotFoundError } from "@facerec/gallery";
import { ImageError } from "@facerec/vision";

/** Too many requests for one API key (HTTP 429 / gRPC RESOURCE_EXHAUSTED). */
export class RateLimitError extends Error {
  override readonly name = "RateLimitError";
}

/** A request that is well-formed but asks for something invalid (HTTP 400 / gRPC INVALID_ARGUMENT). */
export class BadRequestError extends Error {
  override readonly name = "BadRequestError";
}

/** A part of the product this deployment does not run (HTTP 503 / gRPC UNAVAILABLE). */
export class UnavailableError extends Error {
  override readonly name = "UnavailableError";
}

/**
 * The one mapping from the product's typed errors to HTTP statuses (and, for the gRPC server, status
 * codes): 400 INVALID_ARGUMENT bad image, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND (subject, key),
 * 413 RESOURCE_EXHAUSTED oversize input, 429 RESOURCE_EXHAUSTED rate limit. Anything else is a 500
 * INTERNAL with no detail.
 */
export function httpStatusOf(error: unknown): { status: number; code: string; message: string } {
  if (error instanceof AuthError) return { status: 401, code: "UNAUTHENTICATED", message: error.message };
  if (error instanceof ForbiddenError) return { status: 403, code: "PERMISSION_DENIED", message: error.message };
  if (error instanceof RateLimitError) return { status: 429, code: "RESOURCE_EXHAUSTED", message: error.message };
  if (error instanceof BadRequestError) return { status: 400, code: "INVALID_ARGUMENT", message: error.message };
  if (error instanceof UnavailableError) return { status: 503, code: "UNAVAILABLE", message: error.message };
  if (error instanceof NotFoundError || error instanceof KeyNotFoundError)
    return { status: 404, code: "NOT_FOUND", message: error.message };
  if (error instanceof ImageError) {
    const tooBig = error.code === "TOO_LARGE" || error.code === "TOO_MANY_PIXELS";
    return {
      status: tooBig ? 413 : 400,
      code: tooBig ? "RESOURCE_EXHAUSTED" : "INVALID_ARGUMENT",
      message: `${error.code}: ${error.message}`,
    };
  }
  const fastify = error as { statusCode?: number; message?: string };
  if (fastify.statusCode && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return {
      status: fastify.statusCode,
      code: fastify.statusCode === 413 ? "RESOURCE_EXHAUSTED" : "INVALID_ARGUMENT",
      message: fastify.message ?? "bad request",
    };
  }
  return { status: 500, code: "INTERNAL", message: "internal error" };
}
