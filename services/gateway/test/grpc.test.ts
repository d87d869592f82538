import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FaceRecognitionServiceClient, Outcome } from "@facerec/contracts";
import { describeWithShared, LFW, shared } from "@facerec/testkit";
import { Client, credentials, Metadata, type Server, type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildGrpcServer, listenGrpc, openEmbedded } from "../src/index.js";

const knn = (...p: string[]): string => shared("data", "facerec_examples", "knn_examples", ...p);
let server: Server;
let client: InstanceType<typeof FaceRecognitionServiceClient>;
let address: string;
const keyOf: Record<string, string> = {};

const meta = (key?: string): Metadata => {
  const m = new Metadata();
  if (key) m.set("x-api-key", key);
  return m;
};

/** Promise form of a generated unary method. */
function rpc<Req, Res>(method: string, request: Req, key?: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, (r: Req, m: Metadata, cb: (e: ServiceError | null, r: Res) => void) => void>)[method]?.(
      request,
      meta(key),
      (error, response) => (error ? reject(error) : resolve(response)),
    );
  });
}

describeWithShared("gRPC API over loopback", () => {
  beforeAll(async () => {
    const data = mkdtempSync(join(tmpdir(), "grpc-"));
    const { audit, keys, recognition } = await openEmbedded(data);
    keyOf.admin = keys.create("acme", "admin", ["admin"]).key;
    keyOf.other = keys.create("globex", "other", ["admin"]).key;
    server = buildGrpcServer(recognition, keys, audit);
    const port = await listenGrpc(server, "127.0.0.1:0");
    address = `127.0.0.1:${port}`;
    client = new FaceRecognitionServiceClient(address, credentials.createInsecure());
  });
  afterAll(() => {
    client?.close();
    server?.forceShutdown();
  });

  it("enrols and identifies with the same semantics as REST", async () => {
    const created = await rpc<unknown, { subject: { id: string } }>(
      "createSubject",
      { name: "obama", metadata: {} },
      keyOf.admin,
    );
    const images = readdirSync(knn("train", "obama")).map((f) => readFileSync(knn("train", "obama", f)));
    const enrolled = await rpc<unknown, { templateIds: string[] }>(
      "enroll",
      { subjectId: created.subject.id, images },
      keyOf.admin,
    );
    expect(enrolled.templateIds).toHaveLength(2);
    const found = await rpc<unknown, { faces: { outcome: Outcome; subjectId: string }[] }>(
      "identify",
      { image: readFileSync(knn("test", "obama1.jpg")), topK: 5 },
      keyOf.admin,
    );
    expect(found.faces.map((f) => [f.outcome, f.subjectId])).toEqual([[Outcome.OUTCOME_MATCH, created.subject.id]]);
    const stranger = await rpc<unknown, { faces: { outcome: Outcome }[] }>(
      "identify",
      { image: readFileSync(LFW("Serena_Williams", 3)), topK: 5 },
      keyOf.admin,
    );
    expect(stranger.faces.map((f) => f.outcome)).toEqual([Outcome.OUTCOME_UNKNOWN]);
    const other = await rpc<unknown, unknown>("getSubject", { id: created.subject.id }, keyOf.other).catch(
      (e: ServiceError) => e.code,
    );
    expect(other).toBe(status.NOT_FOUND);
  });

  it("maps refusals to gRPC status codes", async () => {
    const missing = await rpc("listSubjects", { pageSize: 10, pageToken: "" }).catch((e: ServiceError) => e.code);
    expect(missing).toBe(status.UNAUTHENTICATED);
    const notImage = await rpc("identify", { image: Buffer.from("hello"), topK: 1 }, keyOf.admin).catch((e: ServiceError) => e);
    expect((notImage as ServiceError).code).toBe(status.INVALID_ARGUMENT);
    expect((notImage as ServiceError).details).toMatch(/NOT_AN_IMAGE/);
  });

  it("answers the standard gRPC health check with SERVING", async () => {
    const raw = new Client(address, credentials.createInsecure());
    const reply = await new Promise<Buffer>((resolve, reject) => {
      // HealthCheckRequest{service: "facerec.v1.FaceRecognitionService"}; the reply's field 1 is the status.
      const service = Buffer.from("facerec.v1.FaceRecognitionService");
      raw.makeUnaryRequest(
        "/grpc.health.v1.Health/Check",
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.concat([Buffer.from([0x0a, service.length]), service]),
        new Metadata(),
        (error, value) => (error ? reject(error) : resolve(value as Buffer)),
      );
    });
    raw.close();
    expect([...reply]).toEqual([0x08, 0x01]);
  });

  it("lists its services through server reflection", async () => {
    const raw = new Client(address, credentials.createInsecure());
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const call = raw.makeBidiStreamRequest(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        (b: Buffer) => b,
        (b: Buffer) => b,
        new Metadata(),
      );
      call.on("data", (b: Buffer) => {
        resolve(b);
        call.end();
      });
      call.on("error", reject);
      // ServerReflectionRequest{list_services: ""} (field 7).
      call.write(Buffer.from([0x3a, 0x00]));
    });
    raw.close();
    expect(reply.toString("latin1")).toContain("facerec.v1.FaceRecognitionService");
  });

  it("answers a malformed protobuf message with INVALID_ARGUMENT, not INTERNAL", async () => {
    const raw = new Client(address, credentials.createInsecure());
    const code = await new Promise<number>((resolve) => {
      raw.makeUnaryRequest(
        "/facerec.v1.FaceRecognitionService/Identify",
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]),
        meta(keyOf.admin),
        (error) => resolve(error?.code ?? status.OK),
      );
    });
    raw.close();
    expect(code).toBe(status.INVALID_ARGUMENT);
  });
});
