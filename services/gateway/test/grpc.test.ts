import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FaceRecognitionServiceClient, JobKind, Outcome } from "@facerec/contracts";
import { openGateway } from "@facerec/operations";
import { describeWithShared, pngBomb } from "@facerec/testkit";
import { Client, credentials, Metadata, type Server, type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildGrpcServer, listenGrpc } from "../src/index.js";
import { bbtCrowds, bbtScene, knnCases, people, strangers } from "./scenarios.js";

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
    const { keys, recognition } = await openGateway(data);
    keyOf.admin = (await keys.create("acme", "admin", ["admin"])).key;
    keyOf.other = (await keys.create("globex", "other", ["admin"])).key;
    keyOf.bbt = (await keys.create("bbt", "tv", ["admin"])).key;
    server = buildGrpcServer(recognition);
    const port = await listenGrpc(server, "127.0.0.1:0");
    address = `127.0.0.1:${port}`;
    client = new FaceRecognitionServiceClient(address, credentials.createInsecure());
  });
  afterAll(() => {
    client?.close();
    server?.forceShutdown();
  });

  type Identified = { faces: { outcome: Outcome; subjectId: string; box: { x: number } }[] };
  const enrolAll = async (root: "knn" | "bbt", key: string): Promise<Map<string, string>> => {
    const names = new Map<string, string>();
    for (const { name, photos } of people(root)) {
      const { subject } = await rpc<unknown, { subject: { id: string } }>("createSubject", { name, metadata: {} }, key);
      const enrolled = await rpc<unknown, { templateIds: string[]; rejected: unknown[] }>(
        "enroll",
        { subjectId: subject.id, images: photos },
        key,
      );
      expect(enrolled.templateIds.length).toBeGreaterThan(0);
      names.set(subject.id, name);
    }
    return names;
  };
  const who = async (file: string, key: string, names: Map<string, string>): Promise<string[]> => {
    const r = await rpc<unknown, Identified>(
      "identify",
      { image: readFileSync(file), topK: 0, camera: "", liveness: "", frames: [] },
      key,
    );
    return [...r.faces]
      .sort((a, b) => a.box.x - b.box.x)
      .map((f) => (f.outcome === Outcome.OUTCOME_MATCH ? (names.get(f.subjectId) ?? "?") : Outcome[f.outcome]));
  };

  it("enrols the five knn people and identifies their test photos and strangers as REST does", async () => {
    const names = await enrolAll("knn", keyOf.admin as string);
    for (const [file, expected] of knnCases) expect(await who(file, keyOf.admin as string, names)).toEqual(expected);
    for (const file of strangers()) expect(await who(file, keyOf.admin as string, names)).toEqual(["OUTCOME_UNKNOWN"]);
    const obama = [...names].find(([, n]) => n === "obama")?.[0] as string;
    const other = await rpc<unknown, unknown>("getSubject", { id: obama }, keyOf.other).catch((e: ServiceError) => e.code);
    expect(other).toBe(status.NOT_FOUND);
    expect(await who(knnCases[0]?.[0] as string, keyOf.other as string, new Map())).toEqual(["OUTCOME_UNKNOWN"]);
  });

  it("names the faces of the faceapi_bbt group scenes", async () => {
    const names = await enrolAll("bbt", keyOf.bbt as string);
    expect(await who(bbtScene[0], keyOf.bbt as string, names)).toEqual(bbtScene[1]);
    for (const scene of bbtCrowds()) {
      const found = (await who(scene, keyOf.bbt as string, names)).filter((n) => n !== "OUTCOME_UNKNOWN");
      expect(found.length).toBeGreaterThanOrEqual(4);
      expect(new Set(found).size).toBe(found.length);
    }
  });

  it("renames a subject with UpdateSubject, within the tenant only", async () => {
    const { subject } = await rpc<unknown, { subject: { id: string } }>(
      "createSubject",
      { name: "a", metadata: { k: "v" } },
      keyOf.admin,
    );
    const updated = await rpc<unknown, { subject: { name: string; metadata: Record<string, string> } }>(
      "updateSubject",
      { id: subject.id, name: "b", metadata: {} },
      keyOf.admin,
    );
    expect(updated.subject).toMatchObject({ name: "b", metadata: { k: "v" } });
    const foreign = await rpc("updateSubject", { id: subject.id, name: "c", metadata: {} }, keyOf.other).catch(
      (e: ServiceError) => e.code,
    );
    expect(foreign).toBe(status.NOT_FOUND);
  });

  it("streams the tenant's match events to WatchMatches, filtered by camera", async () => {
    const call = client.watchMatches({ cameras: ["gate"] }, meta(keyOf.admin));
    const first = new Promise<{ event: { tenant: string; camera: string; outcome: string } }>((resolve, reject) => {
      call.on("data", resolve);
      call.on("error", reject);
    });
    // The stream is registered once the server has the call; give it a moment before the traffic.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await rpc(
      "identify",
      { image: readFileSync(knnCases[0]?.[0] as string), topK: 0, camera: "gate", liveness: "", frames: [] },
      keyOf.other,
    );
    await rpc(
      "identify",
      { image: readFileSync(knnCases[0]?.[0] as string), topK: 0, camera: "lobby", liveness: "", frames: [] },
      keyOf.admin,
    );
    await rpc(
      "identify",
      { image: readFileSync(knnCases[0]?.[0] as string), topK: 0, camera: "gate", liveness: "", frames: [] },
      keyOf.admin,
    );
    const { event } = await first;
    call.cancel();
    expect(event).toMatchObject({ tenant: "acme", camera: "gate", outcome: "match", subjectName: "obama" });
    const refused = client.watchMatches({ cameras: [] }, meta());
    const code = await new Promise((resolve) => refused.on("error", (e: ServiceError) => resolve(e.code)));
    expect(code).toBe(status.UNAUTHENTICATED);
  });

  it("refuses a decompression bomb with RESOURCE_EXHAUSTED", async () => {
    const bomb = await pngBomb(20000, 20000);
    const error = await rpc("identify", { image: bomb, topK: 0, camera: "", liveness: "", frames: [] }, keyOf.admin).catch(
      (e: ServiceError) => e,
    );
    expect((error as ServiceError).code).toBe(status.RESOURCE_EXHAUSTED);
    expect((error as ServiceError).details).toMatch(/TOO_MANY_PIXELS/);
  });

  it("maps refusals to gRPC status codes", async () => {
    const missing = await rpc("listSubjects", { pageSize: 10, pageToken: "" }).catch((e: ServiceError) => e.code);
    expect(missing).toBe(status.UNAUTHENTICATED);
    const notImage = await rpc(
      "identify",
      { image: Buffer.from("hello"), topK: 1, camera: "", liveness: "", frames: [] },
      keyOf.admin,
    ).catch((e: ServiceError) => e);
    expect((notImage as ServiceError).code).toBe(status.INVALID_ARGUMENT);
    expect((notImage as ServiceError).details).toMatch(/NOT_AN_IMAGE/);
  });

  it("refuses jobs without Redis (UNAVAILABLE) and a job of no kind (INVALID_ARGUMENT)", async () => {
    const noRedis = await rpc("startJob", { kind: JobKind.JOB_KIND_RECALIBRATE, folder: "", subjectId: "" }, keyOf.admin).catch(
      (e: ServiceError) => e,
    );
    expect((noRedis as ServiceError).code).toBe(status.UNAVAILABLE);
    expect((noRedis as ServiceError).details).toMatch(/REDIS_URL/);
    const noKind = await rpc("startJob", { kind: JobKind.JOB_KIND_UNSPECIFIED, folder: "", subjectId: "" }, keyOf.admin).catch(
      (e: ServiceError) => e.code,
    );
    expect(noKind).toBe(status.INVALID_ARGUMENT);
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
