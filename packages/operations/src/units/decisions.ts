import { randomUUID } from "node:crypto";
import { ForbiddenError, type Principal } from "@facerec/auth";
import { cosine } from "@facerec/common";
import { type MatchEvent, matchEventOf } from "@facerec/contracts";
import { DEFAULT_TARGET, type Decision } from "@facerec/gallery";
import { LIVENESS_POLICIES, type LivenessPolicy } from "@facerec/privacy";
import { encodePng, type Face, FaceEngine, ImageError } from "@facerec/vision";
import { type BurstLiveness, burstLiveness, distinctFrames } from "../burst.js";
import type { Call, OperationContext } from "../context.js";
import { BadRequestError, TooLargeError } from "../errors.js";
import { isRequestId } from "../request-id.js";

export interface FaceResult {
  box: Face["box"];
  outcome: Decision["outcome"];
  subjectId?: string;
  /** The matched subject's name, beside its id. */
  subjectName?: string;
  /** Why the face was refused (rejected-spoof, rejected-quality), with the figures. */
  reason?: string;
  score?: number;
  threshold?: number;
  quality: number;
  liveness?: number;
  /** Frames the liveness score was combined over, when the request sent a burst. */
  livenessFrames?: number;
  candidates: { subjectId: string; subjectName: string; score: number; threshold: number }[];
}

/** A 1:1 answer; with a burst, the main face's liveness over it and why a match was refused. */
export interface VerifyResult {
  match: boolean;
  score: number;
  threshold: number;
  requestId: string;
  subjectName?: string;
  liveness?: number;
  livenessFrames?: number;
  livenessThreshold?: number;
  reason?: string;
}

/** One face's answer, from its match event (so the API, the feed, MQTT and webhooks say the same). */
function faceResultOf(event: MatchEvent, d: Decision, face: Face, liveness: { score?: number; frames?: number }): FaceResult {
  const scored = d.outcome === "match" || (d.outcome === "unknown" && d.score !== null);
  return {
    box: face.box,
    outcome: d.outcome,
    ...(d.outcome === "match" ? { subjectId: event.subjectId, subjectName: event.subjectName } : {}),
    ...(scored ? { score: event.score, threshold: event.threshold } : {}),
    quality: face.quality.score,
    ...(liveness.score !== undefined ? { liveness: liveness.score } : {}),
    ...(liveness.frames !== undefined ? { livenessFrames: liveness.frames } : {}),
    candidates: event.topK.map((c) => ({ ...c })),
  };
}

/** Who set the liveness policy a request was decided under. */
export type LivenessSource = "request" | "camera" | "tenant" | "deployment";

/** 1:N identification, 1:1 verification, and corrective feedback on a decision. */
export function decisionOperations(ctx: OperationContext) {
  const { gallery } = ctx;

  /**
   * The liveness policy for a request: the camera's where the deployment gives it one and the key is
   * bound to that camera (a camera an unbound key names is its own label, which earns no camera rule), else the
   * tenant's policy's, else the deployment's; or a stricter one asked for (a looser one needs admin).
   */
  const livenessFor = async (
    p: Principal,
    camera: string,
    asked?: string,
  ): Promise<{ policy: LivenessPolicy; source: LivenessSource }> => {
    const tenant = (await ctx.options.privacy?.policies.current(p.tenant))?.policy.liveness ?? null;
    const cameraRule = p.cameras?.includes(camera) ? ctx.liveness.cameras[camera] : undefined;
    const configured = cameraRule ?? tenant ?? ctx.liveness.policy;
    const source: LivenessSource = cameraRule ? "camera" : tenant ? "tenant" : "deployment";
    if (asked === undefined || asked === "") return { policy: configured, source };
    if (!LIVENESS_POLICIES.includes(asked as LivenessPolicy)) {
      throw new BadRequestError(`liveness is ${LIVENESS_POLICIES.join(", ")}, not "${asked.slice(0, 40)}"`);
    }
    const rank = (x: string) => LIVENESS_POLICIES.indexOf(x as LivenessPolicy);
    if (rank(asked) < rank(configured) && !p.scopes.includes("admin")) {
      throw new ForbiddenError(
        `liveness "${asked}" is looser than this camera's "${configured}": only an admin key may ask for it`,
      );
    }
    return { policy: asked as LivenessPolicy, source: "request" };
  };

  const checkFrames = (frames: readonly Uint8Array[]): void => {
    if (frames.length > ctx.limits.burstFrames)
      throw new TooLargeError(`${frames.length} frames; a burst takes at most ${ctx.limits.burstFrames} after its image`);
    for (const [i, frame] of frames.entries()) ctx.checkImage(frame, `frame ${i + 1}`);
  };

  /** The image's main face (with its liveness score where asked); none is a bad request. */
  const mainFace = async (image: Uint8Array, liveness = false): Promise<Face> => {
    const face = FaceEngine.primary(await ctx.analyse("verify", image, liveness));
    if (!face?.embedding) throw new ImageError("NO_FACE", "no face was found in the image");
    return face;
  };

  /**
   * The faces of a burst's frames, each frame admitted as an image operation of its own: a burst of
   * ten costs its tenant ten places in the image queue, as ten requests would, not one.
   */
  const burstFrames = async (call: Call, image: Uint8Array, frames: readonly Uint8Array[]): Promise<Face[][]> => {
    const others: Face[][] = [];
    for (const frame of distinctFrames(image, frames))
      others.push(await call.admitted(() => ctx.analyse(call.spec.audit, frame, true)));
    return others;
  };

  /** Why a face under the liveness bar was refused: its score (over how many frames), the bar, whose rule. */
  const spoofReason = (score: number, minimum: number, policy: LivenessPolicy, source: LivenessSource, frames?: number) =>
    frames === undefined
      ? `liveness ${score.toFixed(3)} is under ${minimum.toFixed(3)}: the "${policy}" policy, set by the ${source}, refuses a face scored under it (a stored photo of a real person can score low: liveness "off" judges photos, with an admin key)`
      : `liveness ${score.toFixed(3)} over ${frames} frames is under ${minimum.toFixed(3)}: the "${policy}" policy, set by the ${source}, refuses a face scored under it`;

  return {
    livenessFor,

    /**
     * 1:N on every face in the image. Each face's decision is also published to the match feed as coming
     * from `camera`, so WatchMatches sees API identifications as well as the camera pipeline's.
     */
    identify: ctx.operation(
      "identify",
      async (
        call,
        image: Uint8Array,
        named?: string,
        liveness?: string,
        frames: readonly Uint8Array[] = [],
      ): Promise<{
        faces: FaceResult[];
        requestId: string;
        liveness: LivenessPolicy;
        livenessSource: LivenessSource;
        livenessThreshold: number;
      }> => {
        const p = call.principal;
        // Unnamed: a bound key's (first) camera, else the API's own.
        const camera = named ?? p.cameras?.[0] ?? "api";
        ctx.checkCamera(camera);
        // A key bound to cameras speaks for them only; one bound to none is the API, whatever it names.
        if (p.cameras && !p.cameras.includes(camera))
          throw new ForbiddenError(
            `this key is bound to camera${p.cameras.length > 1 ? "s" : ""} ${p.cameras.join(", ")}, not ${camera}`,
          );
        const claimedBy = p.cameras ? "camera" : `api:${p.keyId}`;
        ctx.checkImage(image);
        checkFrames(frames);
        // The tenant's policy names the cameras that may identify (and sets its threshold for the decision).
        const privacy = ctx.options.privacy;
        if (privacy && !(await privacy.policies.mayIdentify(p.tenant, camera))) {
          throw new ForbiddenError(`this tenant's policy does not allow identification at camera ${camera}`);
        }
        const { policy, source: livenessSource } = await livenessFor(p, camera, liveness);
        const scorer = policy !== "off" ? ctx.engine.liveness : undefined;
        const faces = await call.admitted(() => ctx.analyse("identify", image, scorer !== undefined));
        const burst =
          scorer && frames.length > 0
            ? burstLiveness(faces, await burstFrames(call, image, frames), scorer.model, gallery.policy.minLiveness)
            : [];
        // A burst is judged as a camera's capture; one image at the bar for one uploaded photo.
        const livenessThreshold = burst.find((b) => b)?.minimum ?? gallery.policy.minLiveness;
        const requestId = randomUUID();
        const results: FaceResult[] = [];
        for (const [i, face] of faces.entries()) {
          const over = burst[i];
          const live = over?.score ?? face.liveness;
          // Advisory: the score is reported with the face, but it does not gate the decision.
          const d = await gallery.identify(p.tenant, ctx.modelId, face.embedding as Float32Array, {
            quality: face.quality.score,
            ...(policy === "required" && live !== undefined
              ? { liveness: live, ...(over ? { minLiveness: over.minimum } : {}) }
              : {}),
          });
          const event = matchEventOf(d, {
            cropId: `${requestId}:${results.length}`,
            tenant: p.tenant,
            camera,
            source: claimedBy,
            modelId: ctx.modelId,
            frameTime: new Date(call.started),
            box: face.box,
            quality: face.quality.score,
            ...(live !== undefined ? { liveness: live } : {}),
            nameOf: (id) => gallery.peekSubject(p.tenant, id)?.name,
          });
          const result = faceResultOf(event, d, face, {
            ...(live !== undefined ? { score: live } : {}),
            ...(over ? { frames: over.frames } : {}),
          });
          // A refusal says why, in the terms a caller can act on: the score, the bar, whose rule.
          if (d.outcome === "rejected-spoof")
            result.reason = spoofReason(d.liveness, d.minimum, policy, livenessSource, over?.frames);
          if (d.outcome === "rejected-quality")
            result.reason = `quality ${d.quality.toFixed(2)} is under ${d.minimum.toFixed(2)}: the face is too small, blurred or turned to be judged`;
          results.push(result);
          // Stored as the matcher stores a camera's decision, then published and notified.
          const source = { keyId: p.keyId, operation: call.spec.audit, requestId, latencyMs: Date.now() - call.started };
          const crop = gallery.retainsCrops ? await encodePng(face.aligned) : undefined;
          await ctx.aftermath.record(event, source, { vector: face.embedding as Float32Array, ...(crop ? { crop } : {}) });
          ctx.options.feed?.publish(event);
          ctx.aftermath.notify(event);
        }
        if (faces.length === 0) await call.record("no-face", {}, { requestId });
        return { faces: results, requestId, liveness: policy, livenessSource, livenessThreshold };
      },
    ),

    /** 1:1: does the main face of the image belong to the subject, or to the main face of a second image. */
    verify: ctx.operation(
      "verify",
      async (
        call,
        image: Uint8Array,
        against: { subjectId: string } | { otherImage: Uint8Array },
        frames: readonly Uint8Array[] = [],
      ): Promise<VerifyResult> => {
        ctx.checkImage(image);
        checkFrames(frames);
        if ("otherImage" in against) ctx.checkImage(against.otherImage, "the other image");
        else ctx.checkId("subjectId", against.subjectId);
        // A burst asks whether the person is present, under the liveness policy; "off" skips its frames.
        const { policy, source } = frames.length
          ? await livenessFor(call.principal, call.principal.cameras?.[0] ?? "api")
          : { policy: "off" as const, source: "request" as const };
        const scorer = policy !== "off" ? ctx.engine.liveness : undefined;
        const face = await call.admitted(() => mainFace(image, scorer !== undefined));
        const probe = face.embedding as Float32Array;
        const live: BurstLiveness | undefined = scorer
          ? burstLiveness([face], await burstFrames(call, image, frames), scorer.model, gallery.policy.minLiveness)[0]
          : undefined;
        // Read through the cache, which also applies the tenant's target to the gallery's threshold.
        const tenantPolicy = await ctx.options.privacy?.policies.current(call.tenant);
        let result: Omit<VerifyResult, "requestId">;
        if ("subjectId" in against) {
          const { name } = await gallery.findSubject(call.tenant, against.subjectId);
          result = { ...(await gallery.verify(call.tenant, ctx.modelId, against.subjectId, probe)), subjectName: name };
        } else {
          const other = (await call.admitted(() => mainFace(against.otherImage))).embedding as Float32Array;
          const score = cosine(probe, other);
          // One photo against one at the tenant's target rate (the deployment's, as `facerec compare`
          // decides, where it sets none).
          const target = tenantPolicy?.policy.thresholds.targetFmr ?? DEFAULT_TARGET;
          const calibrated = ctx.engine.embedder.model.thresholds?.[`fmr_${target}`];
          const threshold = calibrated ?? gallery.thresholdOf(call.tenant, ctx.modelId, "", true);
          result = { match: score >= threshold, score, threshold };
        }
        if (live) {
          // Under "required" a face under the bar is no match.
          result = { ...result, liveness: live.score, livenessFrames: live.frames, livenessThreshold: live.minimum };
          if (policy === "required" && live.score < live.minimum && result.match)
            result = {
              ...result,
              match: false,
              reason: spoofReason(live.score, live.minimum, policy, source, live.frames),
            };
        }
        const subjectId = "subjectId" in against ? against.subjectId : undefined;
        const refusedSpoof = result.reason !== undefined;
        const requestId = await call.record(refusedSpoof ? "rejected-spoof" : result.match ? "match" : "no-match", {
          scores: [result.score],
          ...(subjectId ? { subjectId } : {}),
        });
        return { ...result, requestId };
      },
    ),

    /**
     * Corrective feedback on a decision that named `subjectId`, given with the image it was made on:
     * `wrong` keeps the face as "not this subject" (a later probe at least as close to it as to the
     * subject does not match it; erased with the subject); `right` adds the face as a template when it
     * passes the quality floor and matches the subject now. Of several faces, the one most similar to
     * the subject is the one the decision was about. Audited under `decisionId` when given.
     */
    feedback: ctx.operation(
      "feedback",
      async (
        call,
        request: { subjectId: string; verdict: "wrong" | "right"; image: Uint8Array; decisionId?: string },
      ): Promise<{ verdict: "wrong" | "right"; subjectId: string; templateId: string; score: number; requestId: string }> => {
        if (request.verdict !== "wrong" && request.verdict !== "right")
          throw new BadRequestError('verdict is "wrong" or "right"');
        ctx.checkId("subjectId", request.subjectId);
        // The id is stored in the audit trail: the same rule as every request id, over both transports.
        if (request.decisionId !== undefined && !isRequestId(request.decisionId))
          throw new BadRequestError("decisionId is a decision's requestId: 1-64 letters, digits, '.', '_', ':' or '-'");
        ctx.checkImage(request.image);
        await gallery.findSubject(call.tenant, request.subjectId);
        const faces = (await call.admitted(() => ctx.analyse("feedback", request.image, false))).filter((f) => f.embedding);
        if (faces.length === 0) throw new ImageError("NO_FACE", "no face was found in the image");
        const scored = await Promise.all(
          faces.map(async (face) => ({
            face,
            ...(await gallery.verify(call.tenant, ctx.modelId, request.subjectId, face.embedding as Float32Array)),
          })),
        );
        const best = scored.sort((a, b) => b.score - a.score)[0] as (typeof scored)[number];
        const item = { vector: best.face.embedding as Float32Array, quality: best.face.quality.score };
        const { templateId, requestId } = await call.atomic(async () => {
          // Empty where the face adds nothing the subject holds (a near-copy, or past the most).
          let templateId: string;
          if (request.verdict === "wrong") {
            templateId = (await gallery.addNegative(call.tenant, request.subjectId, ctx.modelId, item))?.id ?? "";
          } else {
            const { minQuality } = gallery.policy;
            if (item.quality < minQuality)
              throw new BadRequestError(`the face's quality ${item.quality.toFixed(2)} is under the floor ${minQuality}`);
            if (!best.match)
              throw new BadRequestError(
                `the face does not match the subject now (score ${best.score.toFixed(3)}, threshold ${best.threshold.toFixed(3)}); enrol it instead if it is them`,
              );
            templateId = (await gallery.enrol(call.tenant, request.subjectId, ctx.modelId, [item])).templates[0]?.id ?? "";
          }
          const requestId = await call.record(
            templateId
              ? `${request.verdict === "wrong" ? "negative" : "template"} ${templateId}`
              : `${request.verdict === "wrong" ? "negative" : "template"} not kept: a near-copy of one held`,
            { subjectId: request.subjectId, scores: [best.score] },
            { requestId: request.decisionId ?? randomUUID(), qualifier: request.verdict },
          );
          return { templateId, requestId };
        });
        return { verdict: request.verdict, subjectId: request.subjectId, templateId, score: best.score, requestId };
      },
    ),
  };
}
