/** The gRPC status names a typed error answers with; REST sends the same name as its `error` field. */
export type GrpcCode =
  | "INVALID_ARGUMENT"
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | "NOT_FOUND"
  | "FAILED_PRECONDITION"
  | "RESOURCE_EXHAUSTED"
  | "UNAVAILABLE";

/**
 * An error a caller is meant to see, carrying its HTTP status and gRPC status name, so each is said
 * once where its class is defined and the transports read it rather than keep a table per class. The
 * gRPC name is `grpcCode`, not `code`: some of these errors (vision's ImageError) have a `code` of
 * their own that callers already read.
 */
export class ApiFailure extends Error {
  /** When to retry (HTTP Retry-After); declared, not defined, so only errors that know one carry it. */
  declare readonly retryAfterSeconds?: number;
  /**
   * Refused before any of the request's work began (a rate or stream limit, a full process): a client
   * may send even a change again without applying it twice. Declared, like retryAfterSeconds.
   */
  declare readonly notStarted?: boolean;

  constructor(
    readonly status: number,
    readonly grpcCode: GrpcCode,
    message?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** What the caller is told: the message, unless a class has more to say. */
  get publicMessage(): string {
    return this.message;
  }
}

/**
 * The base for an error class with one status and gRPC name, in the manner of fastify's createError:
 * `class TooLargeError extends apiFailure(413, "RESOURCE_EXHAUSTED") {}` keeps Error's constructor.
 */
export function apiFailure(status: number, grpcCode: GrpcCode): new (message?: string, options?: ErrorOptions) => ApiFailure {
  return class extends ApiFailure {
    constructor(message?: string, options?: ErrorOptions) {
      super(status, grpcCode, message, options);
    }
  };
}
