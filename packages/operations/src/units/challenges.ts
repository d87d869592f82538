import { randomUUID } from "node:crypto";
import { NotFoundError } from "@facerec/gallery";
import { type Challenge, type ChallengeStore, MemoryChallengeStore } from "@facerec/product";
import {
  CHALLENGE_PROMPTS,
  type ChallengeAction,
  type ChallengeVerdict,
  decodeImage,
  type FrameObservation,
  judgeChallenge,
  observedActions,
  type SubjectAgreement,
  subjectAgreement,
} from "@facerec/vision";
import { challengeOptions, drawActions } from "../challenge.js";
import type { OperationContext } from "../context.js";
import { RateLimitError, TooLargeError } from "../errors.js";

/** A started challenge as the caller sees it: what to ask the person, and until when. */
export interface ChallengeView {
  id: string;
  actions: ChallengeAction[];
  /** The words to show for each action, in order. */
  prompts: string[];
  expiresAt: string;
  maxFrames: number;
}

/** What one frame of a challenge showed, and whether every asked action has been seen yet. */
export interface ChallengeFrameView {
  frame: number;
  faces: number;
  pose?: { yaw: number; eyes?: number };
  observed: ChallengeAction[];
  complete: boolean;
}

export type ChallengeResult = ChallengeVerdict & {
  id: string;
  actions: ChallengeAction[];
  /** Where the start named a subject: whether the person who answered is them (see subjectAgreement). */
  subject?: SubjectAgreement & { subjectId: string };
  requestId: string;
};

/** What a caller is told of a challenge that is not open to it: it never says which of these it was. */
const gone = (id: string) =>
  new NotFoundError(`no open challenge ${id.slice(0, 64)} (it expired, was judged, or is not this tenant's)`);

/** The active liveness check: start a challenge, send it frames, ask once for its result. */
export function challengeOperations(ctx: OperationContext) {
  const { gallery, engine } = ctx;
  const { store, ...settings } = ctx.options.challenge ?? {};
  // Blinks are read from the 68-point model's eyelids; a pack aligned on five points has none.
  const options = challengeOptions(settings, engine.landmarker !== undefined);
  // Recognition gives every context its store (the default one is in this process's memory).
  const challenges: ChallengeStore = store ?? new MemoryChallengeStore();
  return {
    /**
     * Starts an active liveness check: the actions the person is to make, in order. Its frames and its
     * result must come within `ttlSeconds`, from a key of the same tenant.
     */
    startChallenge: ctx.operation("startChallenge", async (call, subjectId?: string): Promise<ChallengeView> => {
      if (subjectId !== undefined) ctx.checkId("subjectId", subjectId);
      // A named subject must be there, with templates of this model, before anyone is asked to move.
      if (
        subjectId !== undefined &&
        gallery.templatesOf(call.tenant, (await gallery.findSubject(call.tenant, subjectId)).id).length === 0
      )
        throw new NotFoundError(`subject ${subjectId} has no templates to check the answer against`);
      const c: Challenge = {
        id: randomUUID(),
        tenant: call.tenant,
        ...(subjectId !== undefined ? { subjectId } : {}),
        actions: drawActions(options),
        expiresAt: call.started + options.ttlSeconds * 1000,
        frames: [],
      };
      if (!(await challenges.insert(c, { open: options.maxOpen, tenant: options.tenantOpen }, call.started)))
        throw new RateLimitError("too many challenges are open for this tenant or this deployment; retry shortly", 1);
      await call.record(`asked ${c.actions.join(",")}`, subjectId ? { subjectId } : {}, { requestId: c.id });
      return {
        id: c.id,
        actions: c.actions,
        prompts: c.actions.map((a) => CHALLENGE_PROMPTS[a]),
        expiresAt: new Date(c.expiresAt).toISOString(),
        maxFrames: options.maxFrames,
      };
    }),

    /**
     * One camera frame of a challenge: its faces are found and the pose of a lone face kept (never the
     * frame). Says what the frames so far show, so a client can stop once every action is seen.
     */
    sendChallengeFrame: ctx.operation(
      "sendChallengeFrame",
      async (call, id: string, image: Uint8Array): Promise<ChallengeFrameView> => {
        ctx.checkId("id", id);
        ctx.checkImage(image, "the frame");
        const open = await challenges.get(call.tenant, id, Date.now());
        if (!open) throw gone(id);
        const observation = await call.admitted(async (): Promise<FrameObservation> => {
          const img = await decodeImage(image);
          const faces = await engine.poses(img);
          const only = faces.length === 1 ? faces[0] : undefined;
          if (!only) return { faces: faces.length };
          // With a subject named, each lone face is compared with them now; only the score is kept.
          const match = open.subjectId
            ? await gallery.verify(call.tenant, ctx.modelId, open.subjectId, await engine.embedAt(img, only.landmarks))
            : undefined;
          return {
            faces: 1,
            box: only.box,
            pose: only.pose,
            ...(match ? { match: { score: match.score, threshold: match.threshold } } : {}),
          };
        });
        const added = await challenges.addFrame(call.tenant, id, observation, options.maxFrames, Date.now());
        if (added === "gone") throw gone(id);
        if (added === "full")
          throw new TooLargeError(`a challenge takes at most ${options.maxFrames} frames; ask for its result`);
        const observed = observedActions(added.frames, options);
        return {
          frame: added.frames.length,
          faces: observation.faces,
          ...(observation.pose ? { pose: observation.pose } : {}),
          observed,
          complete: added.actions.every((a) => observed.includes(a)),
        };
      },
    ),

    /** Judges a challenge from its frames and closes it; the decision is audited, a refusal as rejected-spoof. */
    challengeResult: ctx.operation("challengeResult", async (call, id: string): Promise<ChallengeResult> => {
      ctx.checkId("id", id);
      const c = await challenges.take(call.tenant, id, call.started);
      if (!c) throw gone(id);
      const verdict = judgeChallenge(c.actions, c.frames, options);
      const agreement = c.subjectId ? subjectAgreement(c.frames, options) : undefined;
      const subject = c.subjectId
        ? { subjectId: c.subjectId, ...(agreement ?? { match: false, score: 0, threshold: 0, frames: 0 }) }
        : undefined;
      const decision = !verdict.live
        ? `rejected-spoof:${verdict.reason}`
        : subject
          ? subject.match
            ? "live:match"
            : "live:no-match"
          : "live";
      const requestId = await call.record(decision, subject ? { subjectId: subject.subjectId, scores: [subject.score] } : {});
      return { id, actions: c.actions, ...verdict, ...(subject ? { subject } : {}), requestId };
    }),
  };
}
