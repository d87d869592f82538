import type { Box } from "./geometry.js";
import type { FacePose } from "./pose.js";

/** What an active liveness check may ask a person to do. */
export const CHALLENGE_ACTIONS = ["turn-left", "turn-right", "blink"] as const;
export type ChallengeAction = (typeof CHALLENGE_ACTIONS)[number];

/** The words a person is shown for each action ("left" and "right" are theirs, not the camera's). */
export const CHALLENGE_PROMPTS: Record<ChallengeAction, string> = {
  "turn-left": "Turn your head to your left, then back",
  "turn-right": "Turn your head to your right, then back",
  blink: "Close your eyes for a second, then open them",
};

/** How far a pose must move from the person's own frontal pose to count as an action. */
export interface JudgeOptions {
  /**
   * How far the pose's yaw must move from the person's own frontal yaw to count as a turn.
   * @default 0.25: ORL's frontal captures of one person spread by up to 0.2; s1/3's turn read 0.47
   */
  turn: number;
  /**
   * Eyes count as closed below this share of the person's own open-eye reading. @default 0.65: closed
   * eyes on ORL read 0.45-0.61 of open ones, a photo squeezed to 0.6 of its width 0.75
   */
  closedEyes: number;
}

export const DEFAULT_JUDGE: JudgeOptions = { turn: 0.25, closedEyes: 0.65 };

/** Frames a state must hold to count, so one frame's landmark jitter is never an action. */
const MIN_RUN = 2;
/** Frames with one face a result needs: a baseline and an action, each held for MIN_RUN. */
const MIN_FACE_FRAMES = 4;

/** What one frame showed: how many faces, and the pose of the face when there was exactly one. */
export interface FrameObservation {
  faces: number;
  box?: Box;
  pose?: FacePose;
  /** Where the challenge names a subject: the lone face's score against them, and their threshold. */
  match?: { score: number; threshold: number };
}

/** Why a challenge passed or failed. */
export const CHALLENGE_REASONS = [
  "live",
  "too-few-frames",
  "several-faces",
  "still-image",
  "missing-action",
  "wrong-action",
  "wrong-order",
] as const;
export type ChallengeReason = (typeof CHALLENGE_REASONS)[number];

export interface ChallengeVerdict {
  live: boolean;
  reason: ChallengeReason;
  /** The reason in words, naming the action where there is one. */
  detail: string;
  /** The actions the frames showed, in order. */
  observed: ChallengeAction[];
  frames: number;
  /** Frames that showed exactly one face. */
  faceFrames: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

type State = "neutral" | "turn-left" | "turn-right" | "closed";

/**
 * The actions a sequence of frames shows, in order. The person's own frontal pose is the reference:
 * the median yaw of all frames (a person asked to turn and come back spends most of the time facing
 * the camera), and the median eye opening of the frames near it. A turn is a run of MIN_RUN frames
 * past `turn`; a blink is a run of closed eyes followed later by open ones.
 */
export function observedActions(frames: readonly FrameObservation[], options: JudgeOptions = DEFAULT_JUDGE) {
  const poses = frames.flatMap((f) => (f.faces === 1 && f.pose ? [f.pose] : []));
  if (poses.length === 0) return [];
  const yaw0 = median(poses.map((p) => p.yaw));
  const frontal = poses.filter((p) => Math.abs(p.yaw - yaw0) < options.turn / 2 && p.eyes !== undefined);
  const eyes0 = frontal.length ? median(frontal.map((p) => p.eyes as number)) : undefined;
  // The person's left is the camera's right: turning to their left moves the nose right in the image.
  const stateOf = (p: FacePose): State => {
    if (p.yaw - yaw0 >= options.turn) return "turn-left";
    if (p.yaw - yaw0 <= -options.turn) return "turn-right";
    if (eyes0 !== undefined && p.eyes !== undefined && p.eyes < options.closedEyes * eyes0) return "closed";
    return "neutral";
  };
  const runs: { state: State; length: number }[] = [];
  for (const p of poses) {
    const state = stateOf(p);
    const last = runs.at(-1);
    if (last?.state === state) last.length++;
    else runs.push({ state, length: 1 });
  }
  const held = runs.filter((r) => r.length >= MIN_RUN);
  const actions: ChallengeAction[] = [];
  for (const [i, run] of held.entries()) {
    const action: ChallengeAction | undefined =
      run.state === "closed"
        ? held.slice(i + 1).some((r) => r.state === "neutral")
          ? "blink"
          : undefined
        : run.state === "neutral"
          ? undefined
          : run.state;
    if (action && actions.at(-1) !== action) actions.push(action);
  }
  return actions;
}

/**
 * Whether frames answer a challenge: exactly one face throughout, frames that change, every asked
 * action in the asked order, and no turn that was not asked for. An unasked blink is forgiven (people
 * blink without being asked); an unasked turn is not, so a recording that turns both ways fails.
 */
export function judgeChallenge(
  asked: readonly ChallengeAction[],
  frames: readonly FrameObservation[],
  options: JudgeOptions = DEFAULT_JUDGE,
): ChallengeVerdict {
  const faceFrames = frames.filter((f) => f.faces === 1 && f.pose).length;
  const verdict = (reason: ChallengeReason, detail: string, observed: ChallengeAction[] = []): ChallengeVerdict => ({
    live: reason === "live",
    reason,
    detail,
    observed,
    frames: frames.length,
    faceFrames,
  });
  const several = frames.findIndex((f) => f.faces > 1);
  if (several >= 0)
    return verdict("several-faces", `frame ${several + 1} shows ${frames[several]?.faces} faces; one person takes the check`);
  if (faceFrames < MIN_FACE_FRAMES)
    return verdict("too-few-frames", `a face was seen in ${faceFrames} frame(s); the check needs at least ${MIN_FACE_FRAMES}`);
  const poses = frames.flatMap((f) => (f.pose ? [f.pose] : []));
  const first = poses[0] as FacePose;
  if (poses.every((p) => p.yaw === first.yaw && p.eyes === first.eyes))
    return verdict("still-image", "every frame shows the same face in the same pose: a still image");
  const observed = observedActions(frames, options);
  const unasked = observed.find((a) => a !== "blink" && !asked.includes(a));
  if (unasked) return verdict("wrong-action", `the frames show ${unasked}, which was not asked`, observed);
  const missing = asked.find((a) => !observed.includes(a));
  if (missing) return verdict("missing-action", `the frames do not show ${missing}`, observed);
  // Each asked action's first appearance must come after the one before it.
  let at = -1;
  for (const a of asked) {
    const next = observed.indexOf(a, at + 1);
    if (next < 0) return verdict("wrong-order", `the actions came in another order than asked (${asked.join(", ")})`, observed);
    at = next;
  }
  return verdict("live", `the frames show ${asked.join(" then ")}, as asked`, observed);
}

/** Whether the person who answered is the subject a challenge names, over its frontal frames. */
export interface SubjectAgreement {
  match: boolean;
  /** The median score of the frontal frames against the subject. */
  score: number;
  threshold: number;
  /** Frontal frames compared (turned ones are left out: a turned face scores lower against anyone). */
  frames: number;
}

/** Frontal frames a subject check needs, so one lucky frame cannot carry it. */
const MIN_FRONTAL = 2;

/**
 * The subject check of a challenge's frames: the median score of the frames facing the camera (yaw
 * within half a turn of the person's own frontal yaw) against the subject's threshold. Every frame
 * counts, so frames of someone else shown in between pull the median down.
 */
export function subjectAgreement(
  frames: readonly FrameObservation[],
  options: JudgeOptions = DEFAULT_JUDGE,
): SubjectAgreement | undefined {
  const faces = frames.filter((f) => f.faces === 1 && f.pose && f.match);
  if (faces.length === 0) return undefined;
  const yaw0 = median(faces.map((f) => (f.pose as FacePose).yaw));
  const frontal = faces.filter((f) => Math.abs((f.pose as FacePose).yaw - yaw0) < options.turn / 2);
  const threshold = (faces[0] as FrameObservation & { match: { threshold: number } }).match.threshold;
  if (frontal.length === 0) return { match: false, score: 0, threshold, frames: 0 };
  const score = median(frontal.map((f) => (f.match as { score: number }).score));
  return { match: frontal.length >= MIN_FRONTAL && score >= threshold, score, threshold, frames: frontal.length };
}
