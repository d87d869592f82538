import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FaceRecognitionServiceClient } from "@facerec/contracts";
import { type Gateway, openGateway } from "@facerec/operations";
import { describeWithShared } from "@facerec/testkit";
import { type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { grpcCaller, type Json, restCaller, serveOnLoopback, sizedGlobal } from "./clients.js";
import { knn } from "./scenarios.js";

let gateway: Gateway;
let base: string;
let client: InstanceType<typeof FaceRecognitionServiceClient>;
let close: () => Promise<void>;
const keyOf = { admin: "", kiosk: "", other: "" };
const call = restCaller(() => base);
const rpc = grpcCaller(() => client);
const b64 = (file: string) => readFileSync(file).toString("base64");

describeWithShared("subject access: everything held about one subject, scoped and audited", () => {
  beforeAll(async () => {
    gateway = await openGateway(mkdtempSync(join(tmpdir(), "export-")), {
      env: { ...process.env, FACEREC_LIVENESS_POLICY: "off" },
    });
    keyOf.admin = (await gateway.keys.create("acme", "admin", ["admin"])).key;
    keyOf.kiosk = (await gateway.keys.create("acme", "kiosk", ["enrol", "recognise"])).key;
    keyOf.other = (await gateway.keys.create("globex", "other", ["admin"])).key;
    ({ base, client, close } = await serveOnLoopback(gateway));
  });
  afterAll(async () => {
    await close?.();
  });

  it("exports the subject, its templates' metadata and the decisions that named it, over REST and gRPC", async () => {
    const id = (await call("POST", "/v1/subjects", keyOf.kiosk, { name: "Barack Obama", metadata: { staff: "no" } })).json.id;
    const photos = [knn("train", "obama", "obama.jpg"), knn("train", "obama", "obama2.jpg")].map(b64);
    expect((await call("POST", `/v1/subjects/${id}/enroll`, keyOf.kiosk, { images: photos })).json.templateIds).toHaveLength(2);
    const seen = await call("POST", "/v1/identify", keyOf.kiosk, { image: b64(knn("test", "obama1.jpg")), camera: "door" });
    expect(seen.json.faces[0]).toMatchObject({ outcome: "match", subjectId: id });

    // The subject's threshold says where it comes from.
    const read = await call("GET", `/v1/subjects/${id}`, keyOf.kiosk);
    expect(read.json.threshold.global).toBeCloseTo(sizedGlobal(gateway, "acme", "1e-3"), 6);
    expect(read.json.threshold.value).toBeCloseTo(read.json.threshold.global + read.json.threshold.shift, 6);
    expect(read.json.threshold.reason).toMatch(/nearest other subjects|global threshold/);
    const viaGrpc = await rpc<{ subject: { threshold: { value: number } } }>("getSubject", { id }, keyOf.kiosk);
    expect(viaGrpc.subject.threshold.value).toBeCloseTo(read.json.threshold.value, 5);

    const x = await call("GET", `/v1/subjects/${id}/export`, keyOf.admin);
    expect(x.status).toBe(200);
    expect(x.json.subject).toMatchObject({ id, name: "Barack Obama", metadata: { staff: "no" } });
    expect(x.json.templates).toHaveLength(2);
    for (const t of x.json.templates)
      expect(Object.keys(t).sort()).toEqual(["createdAt", "cropRetained", "id", "model", "quality"]);
    const operations = x.json.decisions.map((e: Json) => `${e.operation}:${e.decision}`);
    expect(operations).toEqual(expect.arrayContaining(["create-subject:created", "identify:match"]));
    expect(operations.some((o: string) => o.startsWith("enroll:"))).toBe(true);
    expect(x.json.decisions.every((e: Json) => e.subjectId === id && e.tenant === "acme")).toBe(true);
    expect(x.json.decisionsTruncated).toBe(false);
    expect(x.json.held.join(" ")).toMatch(/2 face templates .*no photo is kept/);
    expect(JSON.stringify(x.json)).not.toMatch(/vector|embedding"/);

    const g = await rpc<{ subject: { name: string }; templates: unknown[]; decisions: { operation: string }[] }>(
      "exportSubject",
      { id },
      keyOf.admin,
    );
    expect(g.subject.name).toBe("Barack Obama");
    expect(g.templates).toHaveLength(2);
    // The REST export was audited in between, so gRPC's sees one entry more.
    expect(g.decisions.map((d) => d.operation)).toEqual([...x.json.decisions.map((e: Json) => e.operation), "export-subject"]);
  });

  it("is the admin's alone, within the tenant, and gone with the subject", async () => {
    const id = (await call("GET", "/v1/subjects", keyOf.admin)).json.subjects[0].id;
    expect((await call("GET", `/v1/subjects/${id}/export`, keyOf.kiosk)).status).toBe(403);
    expect((await call("GET", `/v1/subjects/${id}/export`, keyOf.other)).status).toBe(404);
    expect(((await rpc("exportSubject", { id }, keyOf.other).catch((e) => e)) as ServiceError).code).toBe(status.NOT_FOUND);
    expect(((await rpc("exportSubject", { id }, keyOf.kiosk).catch((e) => e)) as ServiceError).code).toBe(
      status.PERMISSION_DENIED,
    );
    const refusals = (await gateway.audit.query({ tenant: "acme" })).entries.filter((e) => /export/.test(e.operation));
    expect(refusals.map((e) => e.decision)).toEqual(expect.arrayContaining(["rejected:PERMISSION_DENIED"]));
    expect((await call("DELETE", `/v1/subjects/${id}`, keyOf.admin)).status).toBe(200);
    expect((await call("GET", `/v1/subjects/${id}/export`, keyOf.admin)).status).toBe(404);
  });
}, ["data"]);
