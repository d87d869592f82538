import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { createFacerecClient, settle } from "@facerec/client";
import { type Gateway, openGateway } from "@facerec/operations";
import { describeWithShared } from "@facerec/testkit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openapiTypes } from "../scripts/openapi-types.mjs";
import { buildApp } from "../src/index.js";
import { knn } from "./scenarios.js";

let gateway: Gateway;
let app: FastifyInstance;
let base: string;
let key: string;
let document: Record<string, unknown>;

describeWithShared("the OpenAPI document", () => {
  beforeAll(async () => {
    gateway = await openGateway(mkdtempSync(join(tmpdir(), "openapi-")));
    key = (await gateway.keys.create("acme", "client", ["admin"])).key;
    app = await buildApp(gateway.recognition, gateway.audit);
    base = await app.listen({ host: "127.0.0.1", port: 0 });
    document = (await (await fetch(`${base}/openapi.json`)).json()) as Record<string, unknown>;
  });
  afterAll(async () => {
    await app?.close();
    await gateway?.close();
  });

  it("passes a standard validator, and names every operation once", async () => {
    await SwaggerParser.validate(structuredClone(document) as never);
    const ids: string[] = [];
    for (const operations of Object.values(document.paths as Record<string, Record<string, { operationId?: string }>>)) {
      for (const operation of Object.values(operations)) ids.push(operation.operationId ?? "(none)");
    }
    expect(ids.length).toBeGreaterThanOrEqual(16);
    expect(
      ids.every((id) => /^[a-z][A-Za-z]+$/.test(id)),
      ids.join(", "),
    ).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("is what the committed client types were generated from (pnpm openapi:types rewrites them)", async () => {
    const committed = readFileSync(
      join(import.meta.dirname, "..", "..", "..", "packages", "client", "src", "schema.d.ts"),
      "utf8",
    );
    expect(committed === (await openapiTypes(document)), "packages/client/src/schema.d.ts is out of date").toBe(true);
  });

  it("serves a client generated from it: create a subject, enrol, identify", async () => {
    const client = createFacerecClient({ baseUrl: base, apiKey: key });
    const b64 = (file: string) => readFileSync(file).toString("base64");
    const created = await client.POST("/v1/subjects", { body: { name: "obama" } });
    expect(created.response.status).toBe(201);
    const id = created.data?.id as string;
    const enrolled = await client.POST("/v1/subjects/{id}/enroll", {
      params: { path: { id } },
      body: { images: [b64(knn("train", "obama", "obama.jpg"))] },
    });
    expect(enrolled.data?.templateIds).toHaveLength(1);
    const identified = await client.POST("/v1/identify", { body: { image: b64(knn("test", "obama1.jpg")) } });
    expect(identified.response.status).toBe(200);
    expect(identified.data?.faces?.map((f) => f.subjectId)).toEqual([id]);
    const refused = await settle(client.GET("/v1/subjects/{id}", { params: { path: { id: "nobody" } } }));
    expect(refused).toMatchObject({ ok: false, error: { status: 404, code: "NOT_FOUND" } });
  });
});
