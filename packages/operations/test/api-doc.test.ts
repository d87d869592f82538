import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FaceRecognitionServiceService } from "@facerec/contracts";
import { repoRoot } from "@facerec/testkit/paths";
import { describe, expect, it } from "vitest";
import { OPERATIONS } from "../src/index.js";

/**
 * docs/api.md against the API itself: its operation table is OPERATIONS, its route table lists every
 * REST route and its gRPC section every method. The routes are read from the committed OpenAPI types,
 * which services/gateway/test/openapi.test.ts holds to the document the gateway serves.
 */
const page = readFileSync(join(repoRoot, "docs", "api.md"), "utf8");

/** The rows of the table whose header line is `header`, each split into its trimmed cells. */
function table(header: string): string[][] {
  const at = page.indexOf(header);
  expect(at, `docs/api.md has no table headed ${header}`).toBeGreaterThanOrEqual(0);
  const lines = page.slice(at).split("\n").slice(2);
  const end = lines.findIndex((line) => !line.startsWith("|"));
  return (end < 0 ? lines : lines.slice(0, end)).map((line) =>
    line
      .split("|")
      .slice(1, -1)
      .map((cell) => cell.trim()),
  );
}

/** One section of the page: from its `## ` heading to the next. */
function section(heading: string): string {
  const at = page.indexOf(`\n## ${heading}\n`);
  expect(at, `docs/api.md has no section ${heading}`).toBeGreaterThanOrEqual(0);
  const next = page.indexOf("\n## ", at + 1);
  return page.slice(at, next < 0 ? undefined : next);
}

/** Each REST operation's route, `METHOD /path/:param`, from the OpenAPI types the gateway's document generates. */
function openapiRoutes(): Map<string, string> {
  const types = readFileSync(join(repoRoot, "packages", "client", "src", "schema.d.ts"), "utf8");
  const paths = types.slice(types.indexOf("export interface paths"), types.indexOf("export interface components"));
  const routes = new Map<string, string>();
  let path = "";
  for (const line of paths.split("\n")) {
    const opened = /^ {4}"(\/[^"]+)": \{/.exec(line);
    if (opened) path = (opened[1] as string).replace(/\{(\w+)\}/g, ":$1");
    const method = /^ {8}(get|put|post|delete|patch): operations\["(\w+)"\]/.exec(line);
    if (method) routes.set(method[2] as string, `${(method[1] as string).toUpperCase()} ${path}`);
  }
  return routes;
}

const routes = openapiRoutes();
const unquote = (cell: string | undefined) => cell?.replace(/^`|`$/g, "");

describe("docs/api.md", () => {
  it("lists every declared operation with its route, scope, quota class, audit word and whether it changes state", () => {
    expect(routes.size).toBe(Object.keys(OPERATIONS).length);
    const rows = table("| operation | REST route | scope | quota | audit word | changes state |");
    expect(
      rows.map(([name, route, scope, quota, audit, changes]) => ({
        name: unquote(name),
        route: unquote(route),
        scope,
        quota,
        audit: unquote(audit),
        changes,
      })),
    ).toEqual(
      Object.entries(OPERATIONS).map(([name, spec]) => ({
        name,
        route: routes.get(name),
        scope: spec.scope,
        quota: spec.quota,
        audit: spec.audit,
        changes: spec.changes ? "yes" : "no",
      })),
    );
  });

  it("has every REST route in its route table, and no route the API does not serve", () => {
    const listed = new Set(
      table("| route | scope | what |")
        .map(([route]) => route ?? "")
        .flatMap((cell) => [...cell.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/v1\/[^`?\s]*)/g)].map((m) => `${m[1]} ${m[2]}`)),
    );
    expect([...routes.values()].filter((route) => !listed.has(route))).toEqual([]);
    const served = new Set(routes.values());
    expect([...listed].filter((route) => !served.has(route))).toEqual([]);
  });

  it("names every gRPC method of the service", () => {
    const grpc = section("gRPC");
    const methods = Object.keys(FaceRecognitionServiceService).map((name) => name[0]?.toUpperCase() + name.slice(1));
    expect(methods.length).toBe(Object.keys(OPERATIONS).length);
    expect(methods.filter((method) => !new RegExp(`\\b${method}\\b`).test(grpc))).toEqual([]);
  });
});
