import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AuthError, ForbiddenError, KeyNotFoundError } from "@facerec/auth";
import { NotFoundError } from "@facerec/gallery";
import { repoRoot } from "@facerec/testkit/paths";
import { ImageError } from "@facerec/vision";
import { describe, expect, it } from "vitest";
import {
  API_ERRORS,
  BadRequestError,
  httpStatusOf,
  OverloadedError,
  RateLimitError,
  TooLargeError,
  UnavailableError,
} from "../src/index.js";

describe("the error vocabulary", () => {
  it("is the README's error table, row for row", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("| HTTP | gRPC | when |"));
    const rows = table
      .split("\n")
      .slice(2)
      .filter((line) => /^\| \d{3} \|/.test(line))
      .map((line) => line.split("|").map((cell) => cell.trim()));
    expect(rows.map(([, status, code, when]) => ({ status: Number(status), code, when }))).toEqual(
      API_ERRORS.map((e) => ({ ...e })),
    );
  });

  it("maps every typed error to one of its rows, and anything else to a bare INTERNAL", () => {
    const errors = [
      new AuthError("missing"),
      new ForbiddenError("no scope"),
      new NotFoundError("no subject"),
      new KeyNotFoundError("no key"),
      new BadRequestError("bad"),
      new TooLargeError("big"),
      new RateLimitError("slow down", 3),
      new OverloadedError("full"),
      new UnavailableError("no redis"),
      new ImageError("TOO_MANY_PIXELS", "huge"),
      new ImageError("NOT_AN_IMAGE", "broken"),
      Object.assign(new Error("took too long"), { statusCode: 408 }),
    ];
    for (const error of errors) {
      const { status, code } = httpStatusOf(error);
      expect(
        API_ERRORS.some((row) => row.status === status && row.code === code),
        `${error.name} -> ${status} ${code}`,
      ).toBe(true);
    }
    expect(httpStatusOf(new RateLimitError("slow down", 3)).retryAfterSeconds).toBe(3);
    expect(httpStatusOf(new OverloadedError("full")).retryAfterSeconds).toBe(1);
    expect(httpStatusOf(new TypeError("secret detail"))).toEqual({ status: 500, code: "INTERNAL", message: "internal error" });
  });
});
