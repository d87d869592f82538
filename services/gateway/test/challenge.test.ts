import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FaceRecognitionServiceClient } from "@facerec/contracts";
import { type Gateway, openGateway, Recognition } from "@facerec/operations";
import { describeWithShared } from "@facerec/testkit";
import { answerFrames as answer, s1Frame as frame, orlFrame } from "@facerec/testkit/orl";
import { CHALLENGE_ACTIONS, type ChallengeAction } from "@facerec/vision";
import { type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { grpcCaller, type Json, restCaller, serveOnLoopback } from "./clients.js";

/**
 * The active liveness check over REST and gRPC, answered with real captures of one person (ORL s1:
 * 1, 2, 4 and 10 face the camera, 3 is turned to her right, 9 has her eyes closed). Challenges are
 * drawn at random, so each case reads what was asked and answers it (or deliberately does not).
 */
let gateway: Gateway;
let served: Awaited<ReturnType<typeof serveOnLoopback>>;
let key: string;
let otherTenant: string;
const rest = restCaller(() => served.base);
const grpc = grpcCaller(() => served.client as InstanceType<typeof FaceRecognitionServiceClient>);

const b64 = (b: Buffer) => b.toString("base64");

/** Sends frames over REST and asks for the result; returns the last frame's answer and the result. */
async function restChallenge(id: string, images: Buffer[]): Promise<{ last: Json; result: Json }> {
  let last: Json;
  for (const image of images) {
    const r = await rest("POST", `/v1/liveness/challenges/${id}/frames`, key, { image: b64(image) });
    expect(r.status).toBe(200);
    last = r.json;
  }
  const result = await rest("POST", `/v1/liveness/challenges/${id}/result`, key);
  expect(result.status).toBe(200);
  return { last, result: result.json };
}

describeWithShared("active liveness check", () => {
  beforeAll(async () => {
    gateway = await openGateway(mkdtempSync(join(tmpdir(), "challenge-")));
    key = (await gateway.keys.create("acme", "kiosk", ["recognise"])).key;
    otherTenant = (await gateway.keys.create("globex", "kiosk", ["recognise"])).key;
    served = await serveOnLoopback(gateway);
  });
  afterAll(async () => {
    await served?.close();
  });

  it("passes a person who does what is asked, over REST", async () => {
    const started = await rest("POST", "/v1/liveness/challenges", key);
    expect(started.status).toBe(201);
    const { id, actions, prompts, maxFrames } = started.json;
    expect(actions).toHaveLength(2);
    expect(prompts).toHaveLength(2);
    expect(maxFrames).toBe(100);
    const first = await rest("POST", `/v1/liveness/challenges/${id}/frames`, key, { image: b64(await frame("1")) });
    expect(first.json).toMatchObject({ frame: 1, faces: 1, observed: [], complete: false });
    expect(Math.abs(first.json.pose.yaw)).toBeLessThan(0.15);
    const { last, result } = await restChallenge(id, await answer(actions));
    expect(last.complete).toBe(true);
    expect(result).toMatchObject({ id, live: true, reason: "live", actions, frames: 1 + 3 + 6 * 2 });
    // The person's turns are seen as asked; an extra blink from a capture would be forgiven.
    expect(result.observed.filter((a: string) => a !== "blink")).toEqual(actions.filter((a: string) => a !== "blink"));
  });

  it("passes the same over gRPC", async () => {
    const started = await grpc<Json>("startChallenge", { subjectId: "" }, key);
    expect(started.expiresAt.getTime()).toBeGreaterThan(Date.now());
    let last: Json;
    for (const image of await answer(started.actions))
      last = await grpc<Json>("sendChallengeFrame", { id: started.id, image }, key);
    expect(last).toMatchObject({ complete: true, faces: 1 });
    const result = await grpc<Json>("challengeResult", { id: started.id }, key);
    expect(result).toMatchObject({ live: true, reason: "live", actions: started.actions });
  });

  it("fails one still frame repeated, frames answering another challenge, and the right actions out of order", async () => {
    const start = async () =>
      (await rest("POST", "/v1/liveness/challenges", key)).json as { id: string; actions: ChallengeAction[] };
    const still = await start();
    const stillFrame = await frame("1");
    expect(
      (
        await restChallenge(
          still.id,
          Array.from({ length: 12 }, () => stillFrame),
        )
      ).result,
    ).toMatchObject({
      live: false,
      reason: "still-image",
    });

    // Two of three actions are asked, so one is always left to answer instead.
    const other = await start();
    const unasked = CHALLENGE_ACTIONS.find((a) => !other.actions.includes(a)) as ChallengeAction;
    const { result } = await restChallenge(other.id, await answer([unasked]));
    expect(result.live).toBe(false);
    expect(result.reason).toBe(unasked === "blink" ? "missing-action" : "wrong-action");

    const reversed = await start();
    const late = await restChallenge(reversed.id, await answer([...reversed.actions].reverse()));
    expect(late.result).toMatchObject({ live: false, reason: "wrong-order" });
  });

  it("does not pass a flat photo turned or tipped back in front of the camera", async () => {
    // A printed photo turned about its upright axis, then tipped back: squeezed across, then down.
    const shots: { x?: number; y?: number }[] = [1, 0.85, 0.7, 0.55, 0.55, 0.7, 0.85, 1].map((s) => ({ x: s }));
    shots.push(...[0.85, 0.7, 0.55, 0.55, 0.7, 0.85, 1].map((s) => ({ y: s })));
    const images = await Promise.all(shots.map(async (squeeze) => (await orlFrame(1, 1, { squeeze })).jpeg));
    const { id } = (await rest("POST", "/v1/liveness/challenges", key)).json;
    const poses: Json[] = [];
    for (const image of images)
      poses.push((await rest("POST", `/v1/liveness/challenges/${id}/frames`, key, { image: b64(image) })).json.pose);
    const result = (await rest("POST", `/v1/liveness/challenges/${id}/result`, key)).json;
    expect(result).toMatchObject({ live: false, reason: "missing-action", observed: [] });
    // Not by a hair: every frame stays well inside the turn (0.25) and closed-eye (0.65) bounds.
    const yaw0 = poses[0].yaw;
    const eyes0 = poses[0].eyes;
    for (const p of poses) {
      expect(Math.abs(p.yaw - yaw0)).toBeLessThan(0.2);
      expect(p.eyes / eyes0).toBeGreaterThan(0.7);
    }
  });

  it("keeps a challenge to its tenant, refuses a bad frame without losing the others, judges once, and audits", async () => {
    const { id, actions } = (await rest("POST", "/v1/liveness/challenges", key)).json;
    const images = await answer(actions);
    for (const image of images.slice(0, 5))
      await rest("POST", `/v1/liveness/challenges/${id}/frames`, key, { image: b64(image) });

    const stranger = await rest("POST", `/v1/liveness/challenges/${id}/frames`, otherTenant, { image: b64(images[5] as Buffer) });
    expect(stranger).toMatchObject({ status: 404, json: { error: "NOT_FOUND" } });
    expect((await rest("POST", `/v1/liveness/challenges/${id}/result`, otherTenant)).status).toBe(404);
    await expect(grpc("challengeResult", { id }, otherTenant)).rejects.toMatchObject({
      code: status.NOT_FOUND,
    } as Partial<ServiceError>);

    const corrupt = await rest("POST", `/v1/liveness/challenges/${id}/frames`, key, {
      image: b64((images[5] as Buffer).subarray(0, 200)),
    });
    expect(corrupt.status).toBe(400);
    const next = await rest("POST", `/v1/liveness/challenges/${id}/frames`, key, { image: b64(images[5] as Buffer) });
    expect(next.json.frame).toBe(6);

    const { result } = await restChallenge(id, images.slice(6));
    expect(result).toMatchObject({ live: true, frames: images.length });
    const again = await rest("POST", `/v1/liveness/challenges/${id}/result`, key);
    expect(again).toMatchObject({ status: 404, json: { error: "NOT_FOUND" } });

    const audit = await gateway.audit.query({ tenant: "acme", operation: "liveness-challenge" });
    const decisions = audit.entries.map((e) => e.decision);
    expect(decisions).toContain("live");
    expect(decisions).toContain("rejected-spoof:still-image");
    expect(decisions).toContain("rejected-spoof:wrong-order");
    expect(audit.entries.find((e) => e.requestId === result.requestId)?.decision).toBe("live");
    // The other tenant's two tries at the result were refusals (audited under the operation's word), never a verdict.
    const foreign = (await gateway.audit.query({ tenant: "globex", operation: "liveness-challenge" })).entries;
    expect(foreign.map((e) => e.decision)).toEqual(["rejected:NOT_FOUND", "rejected:NOT_FOUND"]);
  });

  it("bounds the frames of a challenge and the challenges open at once", async () => {
    const { engine, gallery, audit, keys } = gateway;
    const small = new Recognition(engine, gallery, audit, keys, { challenge: { maxFrames: 3, maxOpen: 1 } });
    const p = await keys.authenticate(key);
    const c = await small.startChallenge(p);
    await expect(small.startChallenge(p)).rejects.toThrow(/too many challenges are open/);
    const image = await frame("1");
    for (let i = 0; i < 3; i++) await small.sendChallengeFrame(p, c.id, image);
    await expect(small.sendChallengeFrame(p, c.id, image)).rejects.toThrow(/at most 3 frames/);
    // The refused frame changed nothing: the result counts three, and closing frees the place.
    expect(await small.challengeResult(p, c.id)).toMatchObject({ frames: 3, reason: "too-few-frames" });
    await expect(small.startChallenge(p)).resolves.toMatchObject({ maxFrames: 3 });
  });

  it("keeps a tenant to its share of the open challenges, so another tenant's start still opens", async () => {
    const { engine, gallery, audit, keys } = gateway;
    const shared = new Recognition(engine, gallery, audit, keys, { challenge: { maxOpen: 10, tenantOpen: 2 } });
    const acme = await keys.authenticate(key);
    const globex = await keys.authenticate(otherTenant);
    await shared.startChallenge(acme);
    await shared.startChallenge(acme);
    await expect(shared.startChallenge(acme)).rejects.toThrow(/too many challenges are open/);
    await expect(shared.startChallenge(globex)).resolves.toMatchObject({ maxFrames: 100 });
  });

  it("checks, where the start names a subject, that the person who answers is them", async () => {
    const admin = (await gateway.keys.create("acme", "desk", ["admin"])).key;
    const enrolled = async (name: string, subject: number, captures: number[]) => {
      const { id } = (await rest("POST", "/v1/subjects", admin, { name })).json;
      const images = await Promise.all(captures.map(async (c) => b64((await orlFrame(subject, c)).jpeg)));
      const r = await rest("POST", `/v1/subjects/${id}/enroll`, admin, { images });
      // Two captures of one sitting may be near-copies (cosine 0.95 or more): the second is then left out.
      expect(r.json.templateIds.length).toBeGreaterThanOrEqual(1);
      expect(
        r.json.templateIds.length + r.json.rejected.filter((x: { reason: string }) => x.reason.startsWith("a near-copy")).length,
      ).toBe(captures.length);
      return id as string;
    };
    // ORL s1 enrolled from captures the answers do not use; s11 is someone else.
    const her = await enrolled("s1", 1, [10, 5]);
    const other = await enrolled("s11", 11, [1, 10]);
    const checked = async (subjectId: string) => {
      const started = await rest("POST", "/v1/liveness/challenges", key, { subjectId });
      expect(started.status).toBe(201);
      return (await restChallenge(started.json.id, await answer(started.json.actions))).result;
    };
    const mine = await checked(her);
    expect(mine).toMatchObject({ live: true, subject: { subjectId: her, match: true } });
    expect(mine.subject.score).toBeGreaterThan(mine.subject.threshold);
    expect(mine.subject.frames).toBeGreaterThanOrEqual(2);
    const theirs = await checked(other);
    expect(theirs).toMatchObject({ live: true, subject: { subjectId: other, match: false } });
    expect(theirs.subject.score).toBeLessThan(theirs.subject.threshold);
    expect((await rest("POST", "/v1/liveness/challenges", key, { subjectId: "nobody" })).status).toBe(404);

    const audit = await gateway.audit.query({ tenant: "acme", operation: "liveness-challenge" });
    expect(audit.entries.find((e) => e.requestId === mine.requestId)).toMatchObject({ decision: "live:match", subjectId: her });
    expect(audit.entries.find((e) => e.requestId === theirs.requestId)).toMatchObject({
      decision: "live:no-match",
      subjectId: other,
    });
  });
});
