import createClient, { type Client } from "openapi-fetch";
import type { operations, paths } from "./schema.js";

export type { components, operations, paths } from "./schema.js";

/** Every call the gateway's REST API offers, typed by path and method from its OpenAPI document. */
export type FacerecClient = Client<paths>;

/** A 200 answer's body of an operation, by its operationId: `Answer<"getSubject">` is a subject. */
export type Answer<O extends keyof operations> = operations[O]["responses"] extends {
  200: { content: { "application/json": infer B } };
}
  ? B
  : operations[O]["responses"] extends { 201: { content: { "application/json": infer B } } }
    ? B
    : never;

export type AuditEntry = NonNullable<Answer<"queryAudit">["entries"]>[number];
export type ReviewCluster = NonNullable<Answer<"listReviewClusters">["clusters"]>[number];
export type Subject = Answer<"getSubject">;

/** What the client does unless told otherwise, and why. */
export const CLIENT_DEFAULTS = {
  /**
   * Further tries of a request answered 429 or 503 with a Retry-After header. A read is tried again on
   * either; a change (POST, PUT, PATCH, DELETE) only where the gateway says it refused the request
   * before starting it (`facerec-not-started`: a key's rate or stream limit, a full process), since a
   * 503 of a lost database may come after a commit, and a change sent twice could then apply twice.
   * @default 3
   */
  retries: 3,
  /**
   * The longest Retry-After waited for; a longer one is returned to the caller as the error it is
   * (a batch job may rather wait, an interactive caller rather not).
   * @default 30
   */
  maxRetryAfterSeconds: 30,
} as const;

export interface ClientOptions {
  /** The gateway, e.g. `http://localhost:8080` (in a browser, the page's own origin: `""`). */
  baseUrl: string;
  /** The API key sent as `x-api-key`; a function is asked on every request (a console whose key changes). */
  apiKey?: string | (() => string | undefined);
  /** {@link CLIENT_DEFAULTS.retries} */
  retries?: number;
  /** {@link CLIENT_DEFAULTS.maxRetryAfterSeconds} */
  maxRetryAfterSeconds?: number;
  fetch?: (request: Request) => Promise<Response>;
}

/** A refusal or failure as the gateway words it: the HTTP status, its gRPC status name and a message. */
export interface ApiError {
  /** The HTTP status; 0 where no answer came (the network, or the gateway is down). */
  status: number;
  code: string;
  message: string;
  /** Where the gateway said when to come back. */
  retryAfterSeconds?: number;
}

/** An answer or an error, as a value to branch on rather than an exception. */
export type Result<T> = { ok: true; value: T; status: number } | { ok: false; error: ApiError };

/** The error of a call whose Result was not checked: paging helpers throw it, carrying the ApiError. */
export class FacerecError extends Error {
  override readonly name = "FacerecError";
  constructor(readonly error: ApiError) {
    super(`${error.status} ${error.code}: ${error.message}`);
  }
}

const RETRYABLE = new Set([429, 503]);
const READS = new Set(["GET", "HEAD"]);

/** Whether `response` to `request` may be answered by sending the request again. */
function mayRetry(request: Request, response: Response): boolean {
  if (!RETRYABLE.has(response.status)) return false;
  return READS.has(request.method) || response.headers.get("facerec-not-started") === "1";
}

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date); undefined where absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/**
 * A fetch that tries again after a 429 or 503 for as long as its Retry-After says, up to `retries`
 * times (changes only when they were not started). Redirects are refused: the key would go with them.
 */
function retrying(send: (request: Request) => Promise<Response>, retries: number, maxWaitMs: number) {
  return async (original: Request): Promise<Response> => {
    const request = new Request(original, { redirect: "error" });
    for (let attempt = 0; ; attempt++) {
      const response = await send(attempt < retries ? request.clone() : request);
      if (attempt >= retries || !mayRetry(request, response)) return response;
      const wait = retryAfterMs(response.headers.get("retry-after"));
      if (wait === undefined || wait > maxWaitMs) return response;
      await response.body?.cancel();
      await sleep(wait, request.signal);
    }
  };
}

export function createFacerecClient(options: ClientOptions): FacerecClient {
  const retries = options.retries ?? CLIENT_DEFAULTS.retries;
  const maxWait = (options.maxRetryAfterSeconds ?? CLIENT_DEFAULTS.maxRetryAfterSeconds) * 1000;
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: retrying(send, retries, maxWait) });
  const { apiKey } = options;
  if (apiKey !== undefined) {
    client.use({
      onRequest({ request }) {
        const key = typeof apiKey === "function" ? apiKey() : apiKey;
        if (key) request.headers.set("x-api-key", key);
        return request;
      },
    });
  }
  return client;
}

/**
 * The answer of a client call as a Result: `const r = await settle(client.GET("/v1/status"))`. A call
 * that got no answer at all (a refused connection) is an error of status 0, not an exception.
 */
export async function settle<P extends Promise<{ data?: unknown; error?: unknown; response: Response }>>(
  call: P,
): Promise<Result<NonNullable<Awaited<P>["data"]>>> {
  let answer: Awaited<P>;
  try {
    answer = await call;
  } catch (cause) {
    return {
      ok: false,
      error: { status: 0, code: "UNAVAILABLE", message: cause instanceof Error ? cause.message : String(cause) },
    };
  }
  const { response } = answer;
  if (response.ok) return { ok: true, value: answer.data as NonNullable<Awaited<P>["data"]>, status: response.status };
  const body = (answer.error ?? {}) as { error?: unknown; message?: unknown };
  const retryAfter = retryAfterMs(response.headers.get("retry-after"));
  return {
    ok: false,
    error: {
      status: response.status,
      code: typeof body.error === "string" ? body.error : response.statusText,
      message: typeof body.message === "string" ? body.message : `HTTP ${response.status}`,
      ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter / 1000 } : {}),
    },
  };
}

/** The value of a call, or a thrown FacerecError: for code that has nothing to do with an error but stop. */
export async function must<P extends Promise<{ data?: unknown; error?: unknown; response: Response }>>(
  call: P,
): Promise<NonNullable<Awaited<P>["data"]>> {
  const result = await settle(call);
  if (!result.ok) throw new FacerecError(result.error);
  return result.value;
}

type AuditQuery = NonNullable<operations["queryAudit"]["parameters"]["query"]>;

/** Every audit entry the query matches, page after page as they are read (`for await`). */
export async function* auditEntries(
  client: FacerecClient,
  query: Omit<AuditQuery, "pageToken"> = {},
): AsyncGenerator<AuditEntry> {
  let pageToken: string | undefined;
  do {
    const page = await must(client.GET("/v1/audit", { params: { query: { ...query, ...(pageToken ? { pageToken } : {}) } } }));
    yield* page.entries ?? [];
    pageToken = page.nextPageToken;
  } while (pageToken);
}

/** Every review group, `pageSize` at a time (at most 100, the gateway's limit). */
export async function* reviewClusters(client: FacerecClient, pageSize = 100): AsyncGenerator<ReviewCluster> {
  for (let offset = 0; ; offset += pageSize) {
    const page = await must(client.GET("/v1/review/clusters", { params: { query: { limit: pageSize, offset } } }));
    const clusters = page.clusters ?? [];
    yield* clusters;
    if (clusters.length < pageSize || offset + clusters.length >= (page.total ?? 0)) return;
  }
}
