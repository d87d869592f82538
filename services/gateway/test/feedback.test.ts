import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FaceRecognitionServiceClient } from "@facerec/contracts";
import { type Gateway, openGateway } from "@facerec/operations";
import { describeWithShared, LFW } from "@facerec/testkit";
import { type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { grpcCaller, type Json, restCaller, serveOnLoopback } from "./clients.js";

let gateway: Gateway;
let base: string;
let client: InstanceType<typeof FaceRecognitionServiceClient>;
let close: () => Promise<void>;
const keyOf = { desk: "", other: "" };
const call = restCaller(() => base);
const rpc = grpcCaller(() => client);
const photo = (person: string, n: number) => readFileSync(LFW(person, n)).toString("base64");
const ids: Record<string, string> = {};

/**
 * A look-alike found by `facerec eval feedback`'s split: Anders Fogh Rasmussen, never enrolled, is
 * matched to John Stockton (enrolled from two photos) at the product's thresholds, in all four photos.
 */
const identify = async (person: string, n: number): Promise<{ outcome: string; subjectId?: string; requestId: string }> => {
  const r = await call("POST", "/v1/identify", keyOf.desk, { image: photo(person, n), camera: "desk" });
  expect(r.status).toBe(200);
  return { ...r.json.faces[0], requestId: r.json.requestId };
};

describeWithShared("corrective feedback: a wrong match marked wrong stops recurring for that person's look-alikes", () => {
  beforeAll(async () => {
    gateway = await openGateway(mkdtempSync(join(tmpdir(), "feedback-")), {
      env: { ...process.env, FACEREC_LIVENESS_POLICY: "off" },
    });
    keyOf.desk = (await gateway.keys.create("acme", "desk", ["enrol", "recognise"])).key;
    keyOf.other = (await gateway.keys.create("globex", "other", ["admin"])).key;
    ({ base, client, close } = await serveOnLoopback(gateway));
    for (const person of ["John_Stockton", "Fernando_Henrique_Cardoso"]) {
      ids[person] = (await call("POST", "/v1/subjects", keyOf.desk, { name: person })).json.id;
      const enrolled = await call("POST", `/v1/subjects/${ids[person]}/enroll`, keyOf.desk, {
        images: [photo(person, 1), photo(person, 2)],
      });
      expect(enrolled.json.templateIds).toHaveLength(2);
    }
  });
  afterAll(async () => {
    await close?.();
  });

  it("marks a false match wrong: the same stranger's other photos no longer match, the subject's own still do", async () => {
    const john = ids.John_Stockton as string;
    const before = await Promise.all([1, 2, 3, 4].map((n) => identify("Anders_Fogh_Rasmussen", n)));
    expect(before.map((d) => d.subjectId)).toEqual([john, john, john, john]);

    const marked = await call("POST", "/v1/feedback", keyOf.desk, {
      image: photo("Anders_Fogh_Rasmussen", 1),
      subjectId: john,
      verdict: "wrong",
      decisionId: `${before[0]?.requestId}:0`,
    });
    expect(marked.status).toBe(200);
    expect(marked.json).toMatchObject({ verdict: "wrong", subjectId: john });

    // Photos 2-4 were never marked: they are the same person, so the negative stops them too.
    const after = await Promise.all([1, 2, 3, 4].map((n) => identify("Anders_Fogh_Rasmussen", n)));
    expect(after.map((d) => d.outcome)).toEqual(["unknown", "unknown", "unknown", "unknown"]);
    for (const n of [3, 4, 5]) expect((await identify("John_Stockton", n)).subjectId).toBe(john);
    const entries = (await gateway.audit.query({ tenant: "acme", operation: "feedback-wrong" })).entries;
    expect(entries.map((e) => [e.requestId, e.subjectId])).toEqual([[`${before[0]?.requestId}:0`, john]]);
    // Held about John now, and said so in a subject-access export.
    expect(gateway.gallery.negativesOf("acme", john)).toHaveLength(1);
    expect((await call("GET", `/v1/subjects/${john}`, keyOf.desk)).json.templates).toBe(2);
  });

  it("takes a right match as a template over gRPC, and refuses what does not hold with a clear error", async () => {
    const john = ids.John_Stockton as string;
    const image = readFileSync(LFW("John_Stockton", 3));
    const added = await rpc<{ verdict: string; templateId: string }>(
      "feedback",
      { image, subjectId: john, verdict: "right", decisionId: "" },
      keyOf.desk,
    );
    expect(added.verdict).toBe("right");
    expect((await call("GET", `/v1/subjects/${john}`, keyOf.desk)).json.templates).toBe(3);

    const notThem = await call("POST", "/v1/feedback", keyOf.desk, {
      image: photo("Anders_Fogh_Rasmussen", 2),
      subjectId: ids.Fernando_Henrique_Cardoso,
      verdict: "right",
    });
    expect(notThem.status).toBe(400);
    expect(notThem.json.message).toMatch(/does not match the subject now/);
    expect(
      (await call("POST", "/v1/feedback", keyOf.desk, { image: photo("John_Stockton", 4), subjectId: john, verdict: "maybe" }))
        .status,
    ).toBe(400);
    const bad = (await rpc("feedback", { image, subjectId: john, verdict: "maybe", decisionId: "" }, keyOf.desk).catch(
      (e) => e,
    )) as ServiceError;
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    // Another tenant's subject does not exist for this caller, over either transport.
    const foreign = await call("POST", "/v1/feedback", keyOf.other, {
      image: photo("John_Stockton", 4),
      subjectId: john,
      verdict: "wrong",
    });
    expect(foreign.status).toBe(404);
    const foreignGrpc = (await rpc("feedback", { image, subjectId: john, verdict: "wrong", decisionId: "" }, keyOf.other).catch(
      (e) => e,
    )) as ServiceError;
    expect(foreignGrpc.code).toBe(status.NOT_FOUND);
    expect(gateway.gallery.negativesOf("acme", john)).toHaveLength(1);
  });

  it("lists the negatives in the subject's export, and erasure takes them with the subject", async () => {
    const john = ids.John_Stockton as string;
    const admin = (await gateway.keys.create("acme", "admin", ["admin"])).key;
    const x = await call("GET", `/v1/subjects/${john}/export`, admin);
    expect(x.json.negatives).toHaveLength(1);
    expect(x.json.templates).toHaveLength(3);
    expect(x.json.held.join(" ")).toMatch(/1 faces of other people marked "not this subject"/);
    expect(x.json.decisions.map((e: Json) => e.operation)).toEqual(expect.arrayContaining(["feedback-wrong", "feedback-right"]));
    expect((await call("DELETE", `/v1/subjects/${john}`, admin)).status).toBe(200);
    expect(await gateway.gallery.index.subjectVectors({ tenant: "acme", model: "arcface512#not" }, john)).toEqual([]);
  });
}, ["data"]);
