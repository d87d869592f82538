import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditTrail } from "@facerec/audit";
import type { FaceRecognitionServiceClient } from "@facerec/contracts";
import { type Gateway, openGateway } from "@facerec/operations";
import { purgeReview } from "@facerec/runtime";
import { describeWithShared, LFW } from "@facerec/testkit";
import { type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { grpcCaller, type Json, restCaller, serveOnLoopback } from "./clients.js";

let gateway: Gateway;
let client: InstanceType<typeof FaceRecognitionServiceClient>;
let base: string;
let close: () => Promise<void>;
let audit: AuditTrail;
const keyOf = { admin: "", kiosk: "", other: "" };

const call = restCaller(() => base);
const rpc = grpcCaller(() => client);

const photo = (person: string, n: number) => readFileSync(LFW(person, n)).toString("base64");
const identify = (person: string, n: number, camera: string, key = keyOf.kiosk) =>
  call("POST", "/v1/identify", key, { image: photo(person, n), camera });

describeWithShared("the review queue: unknown faces clustered, named or dismissed by an operator", () => {
  beforeAll(async () => {
    // Kept from the door and the lobby; the car park is not reviewed. Stored photos, so no liveness gate.
    gateway = await openGateway(mkdtempSync(join(tmpdir(), "review-")), {
      env: { ...process.env, FACEREC_REVIEW: "door,lobby", FACEREC_LIVENESS_POLICY: "off" },
    });
    ({ audit } = gateway);
    keyOf.admin = (await gateway.keys.create("acme", "admin", ["admin"])).key;
    keyOf.kiosk = (await gateway.keys.create("acme", "kiosk", ["recognise"])).key;
    keyOf.other = (await gateway.keys.create("globex", "other", ["admin"])).key;
    ({ base, client, close } = await serveOnLoopback(gateway));
  });
  afterAll(async () => {
    await close?.();
  });

  it("groups two strangers seen at two cameras into one cluster each; unreviewed cameras keep nothing", async () => {
    for (const n of [1, 2, 3, 4]) {
      const r = await identify("Gerhard_Schroeder", n, n % 2 ? "door" : "lobby");
      expect(r.json.faces[0].outcome).toBe("unknown");
    }
    for (const n of [1, 2, 3]) expect((await identify("Jean_Chretien", n, "door")).json.faces[0].outcome).toBe("unknown");
    await identify("Jean_Chretien", 4, "carpark");
    const listed = await call("GET", "/v1/review/clusters", keyOf.admin);
    expect(listed.status).toBe(200);
    expect(listed.json.total).toBe(2);
    const sizes = listed.json.clusters.map((c: Json) => [c.faces, c.cameras]).sort();
    expect(sizes).toEqual([
      [3, ["door"]],
      [4, ["door", "lobby"]],
    ]);
    // The tenant's status counts the same groups, over REST and gRPC.
    expect((await call("GET", "/v1/status", keyOf.kiosk)).json).toMatchObject({
      subjects: 0,
      reviewClusters: 2,
      auditWritable: true,
    });
    expect(await rpc("getStatus", {}, keyOf.admin)).toMatchObject({ reviewClusters: 2, models: ["arcface512"] });
    // The recognise-only key cannot see the queue; another tenant sees an empty one.
    expect((await call("GET", "/v1/review/clusters", keyOf.kiosk)).status).toBe(403);
    expect((await call("GET", "/v1/review/clusters", keyOf.other)).json).toEqual({ clusters: [], total: 0 });
  });

  it("assigns a cluster to a new subject; the next photo of that person is named", async () => {
    const { clusters } = (await call("GET", "/v1/review/clusters", keyOf.admin)).json;
    const schroeder = clusters.find((c: Json) => c.faces === 4);
    const detail = await call("GET", `/v1/review/clusters/${schroeder.id}`, keyOf.admin);
    expect(detail.json.faces).toHaveLength(4);
    expect(JSON.stringify(detail.json)).not.toMatch(/vector/);
    // Another tenant can neither read nor assign it.
    expect((await call("GET", `/v1/review/clusters/${schroeder.id}`, keyOf.other)).status).toBe(404);
    expect((await call("POST", `/v1/review/clusters/${schroeder.id}/assign`, keyOf.other, { name: "x" })).status).toBe(404);
    // A wrong subject id is refused and loses nothing.
    const wrong = await call("POST", `/v1/review/clusters/${schroeder.id}/assign`, keyOf.admin, { subjectId: "nobody" });
    expect(wrong.status).toBe(404);
    expect((await call("GET", `/v1/review/clusters/${schroeder.id}`, keyOf.admin)).json.faces).toHaveLength(4);

    const assigned = await call("POST", `/v1/review/clusters/${schroeder.id}/assign`, keyOf.admin, { name: "Gerhard Schroeder" });
    expect(assigned.status).toBe(200);
    expect(assigned.json).toMatchObject({ subject: { name: "Gerhard Schroeder" }, templates: 4, skipped: 0 });
    const next = await identify("Gerhard_Schroeder", 5, "door");
    expect(next.json.faces[0]).toMatchObject({ outcome: "match", subjectId: assigned.json.subject.id });
    expect((await call("GET", "/v1/review/clusters", keyOf.admin)).json.total).toBe(1);
    const entries = (await audit.query({ tenant: "acme" })).entries;
    expect(entries.some((e) => e.operation === "review-assign" && e.subjectId === assigned.json.subject.id)).toBe(true);
  });

  it("lists and dismisses over gRPC with the same rules", async () => {
    const page = await rpc<{ clusters: { id: string; faces: number; cameras: string[] }[]; total: number }>(
      "listReviewClusters",
      { limit: 0, offset: 0 },
      keyOf.admin,
    );
    expect(page.total).toBe(1);
    const id = page.clusters[0]?.id as string;
    const got = await rpc<{ faces: { camera: string }[] }>("getReviewCluster", { id }, keyOf.admin);
    expect(got.faces.map((f) => f.camera)).toEqual(["door", "door", "door"]);
    expect(((await rpc("dismissReviewCluster", { id }, keyOf.other).catch((e) => e)) as ServiceError).code).toBe(
      status.NOT_FOUND,
    );
    const denied = (await rpc("listReviewClusters", { limit: 0, offset: 0 }, keyOf.kiosk).catch((e) => e)) as ServiceError;
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(await rpc("dismissReviewCluster", { id }, keyOf.admin)).toEqual({ faces: 3 });
    expect((await call("GET", "/v1/review/clusters", keyOf.admin)).json.total).toBe(0);
    const entries = (await audit.query({ tenant: "acme" })).entries;
    expect(entries.some((e) => e.operation === "review-dismiss" && e.decision === `dismissed ${id}: 3 faces`)).toBe(true);
  });

  it("purges faces past retention (a clock the test sets), audited with the count", async () => {
    await identify("Jean_Chretien", 5, "door");
    const policy = { cameras: "all" as const, retentionDays: 30 };
    expect(await purgeReview(gateway.state.review, audit, policy)).toEqual(new Map());
    const later = Date.now() + 31 * 86_400_000;
    expect(await purgeReview(gateway.state.review, audit, policy, later)).toEqual(new Map([["acme", 1]]));
    expect((await call("GET", "/v1/review/clusters", keyOf.admin)).json.total).toBe(0);
    const entries = (await audit.query({ tenant: "acme" })).entries;
    expect(entries.some((e) => e.operation === "review-purge" && /^purged 1 before/.test(e.decision))).toBe(true);
    expect((await audit.verify("acme")).intact).toBe(true);
  });
}, ["data"]);
