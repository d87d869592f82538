import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FaceRecognitionServiceClient } from "@facerec/contracts";
import { type Gateway, openGateway } from "@facerec/operations";
import { pruneAudit, purgeExpiredSubjects, purgeTenantReviews } from "@facerec/product";
import { describeWithShared, facerec, LFW, nuaaShots, shared } from "@facerec/testkit";
import { type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { grpcCaller, type Json, restCaller, serveOnLoopback, sizedGlobal } from "./clients.js";

let gateway: Gateway;
let client: InstanceType<typeof FaceRecognitionServiceClient>;
let base: string;
let close: () => Promise<void>;
let evidence: Json;
let livenessEvidence: Json;
const keyOf = { admin: "", desk: "", kiosk: "", other: "" };

const call = restCaller(() => base);
const rpc = grpcCaller(() => client);
const photo = (person: string, n: number) => readFileSync(LFW(person, n)).toString("base64");
const consent = (evidenceRef: string) => ({
  basis: "consent",
  givenAt: "2026-11-30T09:00:00.000Z",
  noticeVersion: "2",
  evidenceRef,
});

describeWithShared("privacy: tenant policy, consent, retention, subject access and the transparency notice", () => {
  beforeAll(async () => {
    const data = mkdtempSync(join(tmpdir(), "privacy-"));
    // The notice's evidence: the JSON output of a real evaluation run, saved as an operator would.
    mkdirSync(join(data, "evidence"));
    const { stdout: output } = await facerec(
      "eval",
      "identify",
      "--root",
      shared("data", "faceapi_bbt", "identities"),
      "--enroll",
      "2",
      "--json",
      "--no-cache",
    );
    writeFileSync(join(data, "evidence", "identify-bbt.json"), output);
    // A liveness threshold calibrated on "the site's own" shots: every 40th NUAA crop of each class.
    const { stdout: calibration } = await facerec(
      "calibrate",
      "liveness",
      "--real",
      nuaaShots(join(data, "shots", "real"), "real_train.txt", 40),
      "--attack",
      nuaaShots(join(data, "shots", "attack"), "spoof_train.txt", 40),
      "--json",
    );
    writeFileSync(join(data, "evidence", "liveness-site.json"), calibration);
    livenessEvidence = JSON.parse(calibration);
    writeFileSync(join(data, "evidence", "notes.json"), JSON.stringify({ hello: "not an evaluation" }));
    evidence = JSON.parse(output);
    gateway = await openGateway(data, { env: { ...process.env, FACEREC_LIVENESS_POLICY: "off" } });
    keyOf.admin = (await gateway.keys.create("acme", "admin", ["admin"])).key;
    keyOf.desk = (await gateway.keys.create("acme", "desk", ["enrol", "recognise"])).key;
    keyOf.kiosk = (await gateway.keys.create("acme", "kiosk", ["recognise"])).key;
    keyOf.other = (await gateway.keys.create("globex", "other", ["admin"])).key;
    ({ base, client, close } = await serveOnLoopback(gateway));
  });
  afterAll(async () => {
    await close?.();
  });

  it("sets a versioned, audited policy (admin only, checked, per tenant) over REST and gRPC", async () => {
    expect((await call("GET", "/v1/policy", keyOf.admin)).json).toMatchObject({
      version: 0,
      policy: { consent: { required: false }, retention: { templatesDays: null } },
    });
    expect((await call("PUT", "/v1/policy", keyOf.desk, { consent: { required: true } })).status).toBe(403);
    const bad = await call("PUT", "/v1/policy", keyOf.admin, { retention: { templatesDays: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/retention\.templatesDays/);
    const set = await call("PUT", "/v1/policy", keyOf.admin, {
      consent: { required: true, noticeVersion: "2" },
      contact: "privacy@acme.example",
    });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ tenant: "acme", version: 1, policy: { consent: { required: true, noticeVersion: "2" } } });
    const viaGrpc = await rpc<Json>("getPolicy", {}, keyOf.admin);
    expect(viaGrpc.policy).toMatchObject({
      version: 1,
      policy: { consentRequired: true, noticeVersion: "2", contact: "privacy@acme.example", templatesRetentionDays: 0 },
    });
    // Another tenant reads its own (the default), never acme's.
    expect((await call("GET", "/v1/policy", keyOf.other)).json).toMatchObject({ tenant: "globex", version: 0 });
    // The change and every refusal of it are audited under the operation's word.
    const entries = (await gateway.audit.query({ tenant: "acme", operation: "set-policy" })).entries;
    expect(entries.map((e) => e.decision)).toEqual(["rejected:PERMISSION_DENIED", "rejected:INVALID_ARGUMENT", "version 1"]);
  });

  it("refuses enrolment without consent under a consent-required policy, and takes it with one", async () => {
    const refused = await call("POST", "/v1/subjects", keyOf.desk, { name: "John Stockton" });
    expect(refused.status).toBe(412);
    expect(refused.json).toMatchObject({ error: "FAILED_PRECONDITION" });
    expect(refused.json.message).toMatch(/requires a consent record/);
    const future = await call("POST", "/v1/subjects", keyOf.desk, {
      name: "John Stockton",
      consent: { ...consent("form-1"), givenAt: "2099-01-01T00:00:00Z" },
    });
    expect(future.status).toBe(400);
    const grpcRefused = (await rpc("createSubject", { name: "John Stockton", metadata: {} }, keyOf.desk).catch(
      (e) => e,
    )) as ServiceError;
    expect(grpcRefused.code).toBe(status.FAILED_PRECONDITION);
    const created = await call("POST", "/v1/subjects", keyOf.desk, { name: "John Stockton", consent: consent("form-1") });
    expect(created.status).toBe(201);
    expect(created.json.consent).toEqual(consent("form-1"));
    const enrolled = await call("POST", `/v1/subjects/${created.json.id}/enroll`, keyOf.desk, {
      images: [1, 2].map((n) => photo("John_Stockton", n)),
    });
    expect(enrolled.json.templateIds).toHaveLength(2);
    // Over gRPC with a consent message: the same record.
    const viaGrpc = await rpc<Json>(
      "createSubject",
      { name: "Colin Powell", metadata: {}, consent: { ...consent("form-2"), givenAt: new Date(consent("form-2").givenAt) } },
      keyOf.desk,
    );
    expect(viaGrpc.subject.consent).toMatchObject({ basis: "consent", evidenceRef: "form-2" });
    // A folder import carries no consent records: refused before the job API is even asked.
    const folder = await call("POST", "/v1/jobs", keyOf.admin, { kind: "enrol-folder", folder: "people" });
    expect(folder.status).toBe(412);
    // Globex's policy is its own: no consent needed there.
    expect((await call("POST", "/v1/subjects", keyOf.other, { name: "Someone" })).status).toBe(201);
  });

  it("a withdrawal of consent erases the subject, audited; the person is no longer named", async () => {
    const { subjects } = (await call("GET", "/v1/subjects", keyOf.desk)).json;
    const john = subjects.find((s: Json) => s.name === "John Stockton");
    expect((await call("DELETE", `/v1/subjects/${john.id}/consent`, keyOf.other)).status).toBe(404);
    const withdrawn = await call("DELETE", `/v1/subjects/${john.id}/consent`, keyOf.desk);
    expect(withdrawn.json).toMatchObject({ templatesRemoved: 2, receipt: { subjectId: john.id } });
    expect(withdrawn.json.receipt.stores.map((s: Json) => [s.store, s.removed])).toEqual([
      ["review-queue", 0],
      ["liveness-challenges", 0],
      ["webhook-filters", 0],
      ["webhook-deliveries", 0],
      ["templates", 2],
    ]);
    expect((await call("GET", `/v1/subjects/${john.id}`, keyOf.desk)).status).toBe(404);
    const next = await call("POST", "/v1/identify", keyOf.kiosk, { image: photo("John_Stockton", 3), camera: "door" });
    expect(next.json.faces[0].outcome).toBe("unknown");
    const entries = (await gateway.audit.query({ tenant: "acme", subjectId: john.id })).entries;
    // The receipt is kept in the withdrawal's audit entry.
    const withdrawal = entries.find((e) => e.operation === "withdraw-consent");
    expect(withdrawal?.decision).toMatch(/^erased: review-queue 0 faces.*; templates 2 templates, 0 negatives/);
  });

  it("exports everything held about a subject, field by field, to its own tenant only", async () => {
    const created = (
      await call("POST", "/v1/subjects", keyOf.desk, {
        name: "Gerhard Schroeder",
        metadata: { badge: "17" },
        consent: consent("form-3"),
      })
    ).json;
    await call("POST", `/v1/subjects/${created.id}/enroll`, keyOf.desk, {
      images: [1, 2].map((n) => photo("Gerhard_Schroeder", n)),
    });
    const seen = await call("POST", "/v1/identify", keyOf.kiosk, { image: photo("Gerhard_Schroeder", 3), camera: "door" });
    expect(seen.json.faces[0]).toMatchObject({ outcome: "match", subjectId: created.id });
    expect((await call("GET", `/v1/subjects/${created.id}/export`, keyOf.other)).status).toBe(404);
    const exported = (await call("GET", `/v1/subjects/${created.id}/export`, keyOf.admin)).json;
    expect(exported.subject).toEqual({
      id: created.id,
      name: "Gerhard Schroeder",
      metadata: { badge: "17" },
      createdAt: created.createdAt,
      consent: consent("form-3"),
    });
    expect(exported.templates).toHaveLength(2);
    for (const t of exported.templates) {
      expect(Object.keys(t).sort()).toEqual(["createdAt", "cropRetained", "id", "model", "quality"]);
      expect(t).toMatchObject({ model: "arcface512", cropRetained: false });
      expect(t.quality).toBeGreaterThan(0.3);
    }
    expect(exported.negatives).toEqual([]);
    expect(exported.decisions.map((e: Json) => e.operation)).toEqual(["create-subject", "enroll", "identify"]);
    expect(exported.decisions[2]).toMatchObject({ decision: "match", subjectId: created.id });
    expect(exported.decisionsTruncated).toBe(false);
    expect(exported.held).toContain(
      "the consent record: basis consent, given 2026-11-30T09:00:00.000Z, notice version 2, evidence kept by the tenant as form-3",
    );
    expect(JSON.stringify(exported)).not.toMatch(/vector|embedding"/);
  });

  it("the transparency notice quotes the policy and the evaluation outputs, per tenant, over REST and gRPC", async () => {
    const notice = (await call("GET", "/v1/notice", keyOf.kiosk)).json;
    expect(notice).toMatchObject({
      tenant: "acme",
      policyVersion: 1,
      noticeVersion: "2",
      contact: "privacy@acme.example",
      consentRequired: true,
    });
    expect(notice.models).toContainEqual({ role: "embedder", id: "arcface512" });
    // The identification figures are the evaluation output's, not numbers written by hand.
    const fnir = notice.errorRates.find((r: Json) => /not recognised/.test(r.measure));
    expect(fnir.value).toBe(evidence.operating.fnir);
    expect(fnir.at).toBe(`the product's threshold for target 0.001 (${evidence.operating.threshold.toFixed(4)})`);
    expect(fnir.source).toMatch(/^identify-bbt\.json \(\d{4}-\d\d-\d\d\): 8 enrolled/);
    // The rate the threshold in use is set for, for the people enrolled now, from the model pack's subject tail.
    const target = notice.errorRates.find((r: Json) => /the target the threshold is set for/.test(r.measure));
    const inUse = sizedGlobal(gateway, "acme", "1e-3");
    expect(target).toMatchObject({ value: 0.001, at: `threshold ${inUse.toFixed(4)} for the people enrolled now` });
    expect(target.source).toMatch(/^model pack calibration: .*subject_fmr/);
    expect(notice.unreadEvidence).toEqual(["notes.json"]);
    // The site's own liveness calibration, checked on captures it was not fitted on, with its interval.
    const refused = notice.errorRates.find((r: Json) => /real faces refused as attacks \(BPCER\), on captures/.test(r.measure));
    expect(refused.value).toBe(livenessEvidence.held_out.bpcer.value);
    expect(refused.at).toMatch(new RegExp(`^liveness threshold ${livenessEvidence.threshold} \\(APCER 0.05`));
    expect(refused.source).toMatch(
      /^liveness-site\.json \(\d{4}-\d\d-\d\d\): \d+ real and \d+ attack images .*calibrate liveness/,
    );
    expect(notice.retention[0]).toBe("face templates: until the person is erased or withdraws consent");
    expect(notice.liveness).toMatch(/^liveness128: .*APCER 5%/);
    const viaGrpc = await rpc<Json>("getNotice", {}, keyOf.kiosk);
    expect(viaGrpc.errorRates.map((r: Json) => r.value)).toEqual(notice.errorRates.map((r: Json) => r.value));
    const theirs = (await call("GET", "/v1/notice", keyOf.other)).json;
    expect(theirs).toMatchObject({ tenant: "globex", policyVersion: 0, contact: "", consentRequired: false });
  });

  it("the retention job erases exactly the subjects past the tenant's period (a clock the test sets), audited", async () => {
    await call("PUT", "/v1/policy", keyOf.admin, {
      consent: { required: true, noticeVersion: "2" },
      retention: { templatesDays: 30 },
      contact: "privacy@acme.example",
    });
    const { state, gallery, audit } = gateway;
    expect(await purgeExpiredSubjects(state.policies, gallery, state.personalData, audit)).toEqual(new Map());
    const before = (await call("GET", "/v1/subjects", keyOf.desk)).json.subjects.map((s: Json) => s.name).sort();
    expect(before).toEqual(["Colin Powell", "Gerhard Schroeder"]);
    const later = Date.now() + 31 * 86_400_000;
    expect(await purgeExpiredSubjects(state.policies, gallery, state.personalData, audit, later)).toEqual(new Map([["acme", 2]]));
    expect((await call("GET", "/v1/subjects", keyOf.desk)).json.subjects).toEqual([]);
    // Globex keeps no retention period: its subject stays.
    expect((await call("GET", "/v1/subjects", keyOf.other)).json.subjects).toHaveLength(1);
    const entries = (await audit.query({ tenant: "acme" })).entries;
    expect(entries.filter((e) => e.operation === "retention-erase")).toHaveLength(2);
    expect(entries.some((e) => e.operation === "retention-purge" && /^erased 2 subjects/.test(e.decision))).toBe(true);
    expect((await audit.verify("acme")).intact).toBe(true);
  });

  it("prunes audit entries past the tenant's period behind a checkpoint; the chain still verifies", async () => {
    // The deployment's floor (90 days unless FACEREC_AUDIT_RETENTION_MIN_DAYS says otherwise): a tenant
    // admin cannot prune its own trail to a day.
    const short = await call("PUT", "/v1/policy", keyOf.admin, { consent: { required: true }, retention: { auditDays: 1 } });
    expect(short.status).toBe(400);
    expect(short.json.message).toMatch(/auditDays is at least 90/);
    await call("PUT", "/v1/policy", keyOf.admin, { consent: { required: true }, retention: { auditDays: 90 } });
    const { state, audit } = gateway;
    const globexBefore = await audit.verify("globex");
    const held = (await audit.query({ tenant: "acme", pageSize: 1000 })).entries;
    expect(await pruneAudit(state.policies, audit)).toEqual(new Map());
    const later = Date.now() + 91 * 86_400_000;
    // Every entry is older than 90 days before `later`; the newest (the policy change) stays as the head.
    expect(await pruneAudit(state.policies, audit, later)).toEqual(new Map([["acme", held.length - 1]]));
    const left = (await audit.query({ tenant: "acme" })).entries;
    expect(left.map((e) => e.operation)).toEqual(["set-policy", "audit-prune"]);
    const checkpoint = (held.at(-2) as Json).sequence;
    expect(left[1]?.decision).toMatch(
      new RegExp(
        `^pruned ${held.length - 1} entries before \\S+ \\(policy version 3\\); checkpoint ${checkpoint} ${held.at(-2)?.hash}$`,
      ),
    );
    const verified = await audit.verify("acme");
    expect(verified).toMatchObject({ intact: true, entries: 2, checkpoint: { sequence: checkpoint, pruned: held.length - 1 } });
    // Over REST and gRPC, verification says where it started.
    expect((await call("GET", "/v1/audit/verify", keyOf.admin)).json).toMatchObject({
      intact: true,
      checkpoint: { sequence: checkpoint, pruned: held.length - 1 },
    });
    expect(await rpc<Json>("verifyAudit", {}, keyOf.admin)).toMatchObject({ intact: true, checkpointSequence: checkpoint });
    // Another tenant's chain is its own: untouched.
    expect(await audit.verify("globex")).toEqual(globexBefore);
    const notice = (await call("GET", "/v1/notice", keyOf.kiosk)).json;
    expect(notice.retention).toContain("audit entries: 90 days, then pruned behind a checkpoint that keeps the rest verifiable");
  });

  it("names the cameras that may identify and the false-match rate decisions aim at, over REST and gRPC", async () => {
    const set = await call("PUT", "/v1/policy", keyOf.admin, {
      consent: { required: true },
      identify: { cameras: ["door"] },
      thresholds: { targetFmr: "1e-4" },
    });
    expect(set.status).toBe(200);
    expect((await call("PUT", "/v1/policy", keyOf.admin, { thresholds: { targetFmr: "1e-5" } })).status).toBe(400);
    expect((await call("PUT", "/v1/policy", keyOf.admin, { identify: { cameras: ["no spaces"] } })).status).toBe(400);
    const refused = await call("POST", "/v1/identify", keyOf.kiosk, { image: photo("John_Stockton", 1), camera: "lobby" });
    expect(refused.status).toBe(403);
    expect(refused.json.message).toMatch(/does not allow identification at camera lobby/);
    const entries = (await gateway.audit.query({ tenant: "acme", decision: "rejected:PERMISSION_DENIED" })).entries;
    expect(entries.map((e) => e.operation)).toContain("identify");
    expect((await call("POST", "/v1/identify", keyOf.kiosk, { image: photo("John_Stockton", 1), camera: "door" })).status).toBe(
      200,
    );
    // The threshold for FPIR 1e-4 with the tenant's enrolled people, from the pack's subject tail, each
    // subject's shift on top; stricter than the deployment's 1e-3 for the same people.
    const subject = (await call("POST", "/v1/subjects", keyOf.desk, { name: "Jean Chretien", consent: consent("form-4") })).json;
    await call("POST", `/v1/subjects/${subject.id}/enroll`, keyOf.desk, { images: [1, 2].map((n) => photo("Jean_Chretien", n)) });
    const strict = sizedGlobal(gateway, "acme", "1e-4");
    expect(strict).toBeGreaterThan(sizedGlobal(gateway, "acme", "1e-3"));
    expect((await call("GET", `/v1/subjects/${subject.id}`, keyOf.desk)).json.threshold.global).toBeCloseTo(strict, 6);
    const fmr = (await call("GET", "/v1/notice", keyOf.kiosk)).json.errorRates.find((r: Json) =>
      /false positive identification rate\): the target/.test(r.measure),
    );
    expect(fmr).toMatchObject({ value: 0.0001, at: `threshold ${strict.toFixed(4)} for the people enrolled now` });
    // Another tenant keeps the deployment's threshold.
    const theirs = (await call("POST", "/v1/subjects", keyOf.other, { name: "Jean" })).json;
    await call("POST", `/v1/subjects/${theirs.id}/enroll`, keyOf.other, { images: [1, 2].map((n) => photo("Jean_Chretien", n)) });
    expect((await call("GET", `/v1/subjects/${theirs.id}`, keyOf.other)).json.threshold.global).toBeCloseTo(
      sizedGlobal(gateway, "globex", "1e-3"),
      6,
    );
    const viaGrpc = await rpc<Json>("getPolicy", {}, keyOf.admin);
    expect(viaGrpc.policy.policy).toMatchObject({ identifyCameras: ["door"], targetFmr: "1e-4" });
    const back = await rpc<Json>(
      "setPolicy",
      {
        policy: {
          consentRequired: true,
          identifyCameras: [],
          targetFmr: "",
          noticeVersion: "",
          contact: "",
          templatesRetentionDays: 0,
          auditRetentionDays: 0,
          reviewRetentionDays: 0,
          liveness: "",
        },
      },
      keyOf.admin,
    );
    expect(back.policy.policy).toMatchObject({ identifyCameras: [], targetFmr: "" });
    expect((await call("GET", `/v1/subjects/${subject.id}`, keyOf.desk)).json.threshold.global).toBeCloseTo(
      sizedGlobal(gateway, "acme", "1e-3"),
      6,
    );
  });

  it("sets how liveness bears on the tenant's identifications; another tenant keeps the deployment's", async () => {
    // The deployment runs with liveness off; acme requires it. A printed photo held to a camera scores 0.0003.
    const image = readFileSync(shared("data", "antispoof_samples", "silentface", "image_F1.jpg")).toString("base64");
    type Faces = { faces: { outcome: string; liveness?: number }[]; liveness: string };
    expect((await call("PUT", "/v1/policy", keyOf.admin, { consent: { required: true }, liveness: "maybe" })).status).toBe(400);
    expect((await call("PUT", "/v1/policy", keyOf.admin, { consent: { required: true }, liveness: "required" })).status).toBe(
      200,
    );
    const ours = (await call("POST", "/v1/identify", keyOf.kiosk, { image })).json as Faces;
    expect(ours.liveness).toBe("required");
    expect(ours.faces.filter((f) => f.outcome === "rejected-spoof")).toHaveLength(1);
    const theirs = (await call("POST", "/v1/identify", keyOf.other, { image })).json as Faces;
    expect(theirs.liveness).toBe("off");
    expect(theirs.faces.every((f) => f.liveness === undefined && f.outcome !== "rejected-spoof")).toBe(true);
    // Looser than the tenant's policy is an admin key's to ask, as for a camera's.
    expect((await call("POST", "/v1/identify", keyOf.kiosk, { image, liveness: "off" })).status).toBe(403);
    expect((await rpc<Json>("getPolicy", {}, keyOf.admin)).policy.policy).toMatchObject({ liveness: "required" });
    await call("PUT", "/v1/policy", keyOf.admin, { consent: { required: true } });
    expect(((await call("POST", "/v1/identify", keyOf.kiosk, { image })).json as Faces).liveness).toBe("off");
  });

  it("purges a tenant's review faces sooner where its policy says so; other tenants keep the deployment's period", async () => {
    await call("PUT", "/v1/policy", keyOf.admin, { consent: { required: true }, retention: { reviewDays: 7 } });
    const { state, audit } = gateway;
    const face = (tenant: string, id: string) => ({
      id,
      tenant,
      camera: "door",
      model: "arcface512",
      time: new Date().toISOString(),
      vector: Float32Array.from({ length: 512 }, (_, i) => (i === 0 ? 1 : 0)),
      quality: 0.9,
      outcome: "unknown" as const,
      candidates: [],
    });
    await state.review.add(face("acme", "a-1"));
    await state.review.add(face("globex", "g-1"));
    const deployment = { cameras: "all" as const, retentionDays: 30, lowMargin: 0 };
    expect(await purgeTenantReviews(state.policies, state.review, audit, deployment)).toEqual(new Map());
    const later = Date.now() + 8 * 86_400_000;
    expect(await purgeTenantReviews(state.policies, state.review, audit, deployment, later)).toEqual(new Map([["acme", 1]]));
    expect((await state.review.clusters("acme", 10, 0)).total).toBe(0);
    expect((await state.review.clusters("globex", 10, 0)).total).toBe(1);
    const entries = (await audit.query({ tenant: "acme", operation: "review-purge" })).entries;
    expect(entries.at(-1)?.decision).toMatch(/^purged 1 before \S+ \(policy version \d+\)$/);
    expect((await call("GET", "/v1/notice", keyOf.kiosk)).json.retention).toContain("faces kept for review: 7 days");
  });
}, ["data"]);
