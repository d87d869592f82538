import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AuthError, ForbiddenError, KeyNotFoundError } from "@facerec/auth";
import { ApiFailure } from "@facerec/common";
import { NotFoundError } from "@facerec/gallery";
import { repoRoot } from "@facerec/testkit/paths";
import { ImageError } from "@facerec/vision";
import { describe, expect, it } from "vitest";
import * as operations from "../src/index.js";
import {
  API_ERRORS,
  BadRequestError,
  ConsentRequiredError,
  httpStatusOf,
  LengthRequiredError,
  OverloadedError,
  RateLimitError,
  TooLargeError,
  UnavailableError,
  WebhookNotFoundError,
} from "../src/index.js";

/** Every typed error a caller can get, with the status and gRPC name it is documented to answer with. */
const TYPED: { error: ApiFailure; status: number; code: string }[] = [
  { error: new AuthError("missing"), status: 401, code: "UNAUTHENTICATED" },
  { error: new ForbiddenError("no scope"), status: 403, code: "PERMISSION_DENIED" },
  { error: new NotFoundError("no subject"), status: 404, code: "NOT_FOUND" },
  { error: new KeyNotFoundError("no key"), status: 404, code: "NOT_FOUND" },
  { error: new WebhookNotFoundError("no webhook"), status: 404, code: "NOT_FOUND" },
  { error: new BadRequestError("bad"), status: 400, code: "INVALID_ARGUMENT" },
  { error: new LengthRequiredError("no length"), status: 411, code: "INVALID_ARGUMENT" },
  { error: new ConsentRequiredError("no consent"), status: 412, code: "FAILED_PRECONDITION" },
  { error: new TooLargeError("big"), status: 413, code: "RESOURCE_EXHAUSTED" },
  { error: new RateLimitError("slow down", 3), status: 429, code: "RESOURCE_EXHAUSTED" },
  { error: new OverloadedError("full"), status: 503, code: "UNAVAILABLE" },
  { error: new UnavailableError("no redis"), status: 503, code: "UNAVAILABLE" },
  { error: new ImageError("TOO_LARGE", "big"), status: 413, code: "RESOURCE_EXHAUSTED" },
  { error: new ImageError("TOO_MANY_PIXELS", "huge"), status: 413, code: "RESOURCE_EXHAUSTED" },
  { error: new ImageError("NOT_AN_IMAGE", "broken"), status: 400, code: "INVALID_ARGUMENT" },
  { error: new ImageError("NO_FACE", "nobody"), status: 400, code: "INVALID_ARGUMENT" },
];

describe("the error vocabulary", () => {
  it("is the error table of docs/api.md, row for row", () => {
    const page = readFileSync(join(repoRoot, "docs", "api.md"), "utf8");
    const header = page.indexOf("| HTTP | gRPC | when |");
    expect(header).toBeGreaterThanOrEqual(0);
    // The table's rows: every line after the header and its rule, up to the first that is not a row.
    const lines = page.slice(header).split("\n").slice(2);
    const end = lines.findIndex((line) => !line.startsWith("|"));
    const rows = (end < 0 ? lines : lines.slice(0, end)).map((line) => line.split("|").map((cell) => cell.trim()));
    expect(rows.map(([, status, code, when]) => ({ status: Number(status), code, when }))).toEqual(
      API_ERRORS.map((e) => ({ ...e })),
    );
  });

  it.each(TYPED.map((row) => ({ ...row, name: row.error.name })))(
    "answers a $name with $status $code, one of its rows",
    ({ error, status, code }) => {
      expect(httpStatusOf(error)).toMatchObject({ status, code });
      expect(API_ERRORS.some((row) => row.status === status && row.code === code)).toBe(true);
    },
  );

  it("has a row above for every error class the operations export", () => {
    const classes = Object.values(operations as Record<string, unknown>).filter(
      (value): value is typeof ApiFailure => typeof value === "function" && value.prototype instanceof ApiFailure,
    );
    expect(classes.length).toBeGreaterThan(0);
    const covered = new Set(TYPED.map(({ error }) => error.constructor));
    expect(classes.filter((kind) => !covered.has(kind)).map((kind) => kind.name)).toEqual([]);
  });

  it("tells the caller when to retry, and an image's refusal by its code", () => {
    expect(httpStatusOf(new RateLimitError("slow down", 3)).retryAfterSeconds).toBe(3);
    expect(httpStatusOf(new RateLimitError("slow down"))).not.toHaveProperty("retryAfterSeconds");
    expect(httpStatusOf(new OverloadedError("full")).retryAfterSeconds).toBe(1);
    expect(httpStatusOf(new ImageError("NO_FACE", "no face found")).message).toBe("NO_FACE: no face found");
  });

  it("maps a full disk to 503, fastify's own 4xx to its row, and anything else to a bare INTERNAL", () => {
    const full = Object.assign(new Error("write failed"), { code: "ENOSPC" });
    expect(httpStatusOf(full)).toMatchObject({ status: 503, code: "UNAVAILABLE" });
    const unreachable = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    expect(httpStatusOf(unreachable)).toMatchObject({ status: 503, code: "UNAVAILABLE", retryAfterSeconds: 1 });
    const slow = Object.assign(new Error("took too long"), { statusCode: 408 });
    expect(httpStatusOf(slow)).toEqual({ status: 408, code: "DEADLINE_EXCEEDED", message: "took too long" });
    expect(httpStatusOf(new TypeError("secret detail"))).toEqual({ status: 500, code: "INTERNAL", message: "internal error" });
  });
});
