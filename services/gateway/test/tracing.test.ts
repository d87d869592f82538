import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FaceRecognitionServiceClient } from "@facerec/contracts";
import { type Gateway, openGateway } from "@facerec/operations";
import { startTracing } from "@facerec/runtime";
import { credentials, Metadata } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, buildGrpcServer, listenGrpc } from "../src/index.js";

const traceFile = join(mkdtempSync(join(tmpdir(), "gateway-traces-")), "spans.jsonl");
const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;
let embedded: Gateway;
let key: string;
let tracing: ReturnType<typeof startTracing>;

const spans = () =>
  readFileSync(traceFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { traceId: string; parentSpanId?: string; name: string; attributes: Record<string, unknown> });

describe("gateway spans continue the caller's trace", () => {
  beforeAll(async () => {
    tracing = startTracing("gateway", { FACEREC_TRACE_FILE: traceFile });
    embedded = await openGateway(mkdtempSync(join(tmpdir(), "gateway-tracing-")));
    key = (await embedded.keys.create("acme", "reader", ["recognise"])).key;
  });
  afterAll(async () => {
    await embedded?.close();
    await tracing?.shutdown();
  });

  it("over REST, from the traceparent header", async () => {
    const app = await buildApp(embedded.recognition, embedded.audit);
    const r = await app.inject({ method: "GET", url: "/v1/subjects", headers: { "x-api-key": key, traceparent } });
    expect(r.statusCode).toBe(200);
    await app.close();
    const span = spans().find((s) => s.name === "GET /v1/subjects");
    expect(span).toMatchObject({ traceId, parentSpanId: "00f067aa0ba902b7", attributes: { "http.response.status_code": 200 } });
  });

  it("over gRPC, from the traceparent metadata", async () => {
    const server = buildGrpcServer(embedded.recognition);
    const port = await listenGrpc(server, "127.0.0.1:0");
    const client = new FaceRecognitionServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
    const meta = new Metadata();
    meta.set("x-api-key", key);
    meta.set("traceparent", traceparent);
    await new Promise<void>((resolve, reject) =>
      client.listSubjects({ pageSize: 10, pageToken: "" }, meta, (error) => (error ? reject(error) : resolve())),
    );
    client.close();
    server.forceShutdown();
    const span = spans().find((s) => s.name === "grpc ListSubjects");
    expect(span).toMatchObject({ traceId, parentSpanId: "00f067aa0ba902b7", attributes: { "rpc.grpc.status_code": 0 } });
  });
});
