import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Scope } from "@facerec/auth";
import { type FaceRecognitionServiceClient, FaceRecognitionServiceService } from "@facerec/contracts";
import { type Gateway, OPERATIONS, type OperationName, openGateway } from "@facerec/operations";
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grpcCaller, type Json, restCaller, serveOnLoopback } from "./clients.js";

let data: string;
let gateway: Gateway;
let client: InstanceType<typeof FaceRecognitionServiceClient>;
let base: string;
let close: () => Promise<void>;
let document: Json;
const call = restCaller(() => base);
const rpc = grpcCaller(() => client);

/** A key of the tenant with exactly these scopes. */
const keys = new Map<string, string>();
const keyWith = (scopes: Scope[]) => keys.get(scopes.join(",")) as string;
/** Every scope but the one asked for (and never admin, which holds them all). */
const lacking = (scope: Scope): Scope[] => (["enrol", "recognise", "audit"] as Scope[]).filter((s) => s !== scope);

/** The API's routes as its OpenAPI document lists them: method, path (parameters filled) and operationId. */
function routes(): { method: string; path: string; operation: string; body?: object }[] {
  return Object.entries(document.paths as Record<string, Record<string, { operationId: string }>>)
    .filter(([path]) => path.startsWith("/v1/"))
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path: path.replace(/\{[^}]+\}/g, "x"),
        operation: op.operationId,
        ...(["post", "put", "patch"].includes(method) ? { body: {} } : {}),
      })),
    );
}

/** The service's methods as the generated definition names them, camel case (the declarations' names). */
const methods = Object.keys(FaceRecognitionServiceService);

/** A method's request with every field at its default (the message decoded from no bytes). */
const empty = (method: string): unknown =>
  (FaceRecognitionServiceService as Record<string, { requestDeserialize: (b: Buffer) => unknown }>)[method]?.requestDeserialize(
    Buffer.alloc(0),
  );

/** A server-streaming call's status once the server ends it. */
function streamStatus(key: string): Promise<number> {
  const meta = new Metadata();
  meta.set("x-api-key", key);
  return new Promise((resolve) => {
    const stream = client.watchMatches({ cameras: ["not a token"] }, meta);
    stream.on("error", (e: ServiceError) => resolve(e.code));
    stream.on("data", () => {});
  });
}

describe("operations: every REST route and gRPC method is one declared operation, held to its scope", () => {
  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), "operations-"));
    gateway = await openGateway(data);
    for (const scopes of [
      ["admin"],
      ["enrol", "recognise", "audit"],
      ["enrol"],
      ["recognise"],
      ["audit"],
      ...(["enrol", "recognise", "audit"] as Scope[]).map(lacking),
    ] as Scope[][]) {
      keys.set(scopes.join(","), (await gateway.keys.create("acme", scopes.join("+"), scopes)).key);
    }
    ({ base, client, close } = await serveOnLoopback(gateway));
    document = await (await fetch(`${base}/openapi.json`)).json();
  });
  afterAll(async () => {
    await close?.();
    rmSync(data, { recursive: true, force: true });
  });

  it("binds each REST route and each gRPC method to exactly one declared operation, and each declaration to both", () => {
    const declared = Object.keys(OPERATIONS).sort();
    const rest = routes().map((r) => r.operation);
    expect(rest.sort()).toEqual(declared);
    expect(methods.sort()).toEqual(declared);
  });

  it("refuses a key without the declared scope on every route and method before reading the request, audited under the operation's word", async () => {
    for (const { method, path, operation, body } of routes()) {
      const { scope } = OPERATIONS[operation as OperationName];
      const refused = await call(
        method,
        path,
        keyWith(scope === "admin" ? ["enrol", "recognise", "audit"] : lacking(scope)),
        body,
      );
      expect([operation, refused.status, refused.json?.error]).toEqual([operation, 403, "PERMISSION_DENIED"]);
      // With the scope the key passes admission: whatever the answer is (a missing body, no such id), it is not 403.
      if (operation === "watchMatches") continue;
      const allowed = await call(method, path, keyWith([scope]), body);
      expect([operation, allowed.status]).not.toEqual([operation, 403]);
    }
    for (const method of methods) {
      const { scope } = OPERATIONS[method as OperationName];
      const key = keyWith(scope === "admin" ? ["enrol", "recognise", "audit"] : lacking(scope));
      const code =
        method === "watchMatches"
          ? await streamStatus(key)
          : await rpc(method, empty(method), key).then(
              () => status.OK,
              (e: ServiceError) => e.code,
            );
      expect([method, status[code]]).toEqual([method, "PERMISSION_DENIED"]);
    }
    const entries = (await gateway.audit.query({ tenant: "acme", decision: "rejected:PERMISSION_DENIED", pageSize: 1000 }))
      .entries;
    const words = new Set(Object.values(OPERATIONS).map((o) => o.audit));
    // Two refusals of each operation (REST and gRPC), each under the declared word and nothing else.
    expect(new Set(entries.map((e) => e.operation))).toEqual(words);
    expect(entries).toHaveLength(2 * Object.keys(OPERATIONS).length);
  });

  it("suggests in the console's audit filter only words the product writes", () => {
    const page = readFileSync(
      join(import.meta.dirname, "..", "..", "..", "packages", "console", "src", "pages", "audit.tsx"),
      "utf8",
    );
    const list = /const OPERATIONS = \[([\s\S]*?)\];/.exec(page)?.[1] ?? "";
    const suggested = [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);
    expect(suggested.length).toBeGreaterThan(5);
    // Declared operations' words, a declared word with its qualifier (feedback-wrong), and the words
    // of the product's own jobs as its sources write them (review-purge, retention-erase).
    const declared = Object.values(OPERATIONS).map((o) => o.audit);
    const sources = ["product", "operations"].map((p) => join(import.meta.dirname, "..", "..", "..", "packages", p, "src"));
    const written = sources
      .flatMap((dir) => readdirSync(dir, { recursive: true }).map((f) => join(dir, String(f))))
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) => [...readFileSync(f, "utf8").matchAll(/operation: "([a-z-]+)"/g)].map((m) => m[1] as string));
    for (const word of suggested) {
      const known = declared.includes(word) || written.includes(word) || declared.some((d) => word.startsWith(`${d}-`));
      expect(known, `${word} is suggested but never written`).toBe(true);
    }
  });

  it("holds a body without images to the small limit, never to the upload budget", async () => {
    const big = "x".repeat(gateway.recognition.limits.plainRequestBytes + 1);
    const r = await call("POST", "/v1/subjects", keyWith(["enrol"]), { name: "A", metadata: { note: big } });
    expect(r.status).toBe(413);
  });
});
