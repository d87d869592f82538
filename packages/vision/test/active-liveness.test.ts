import { describe, expect, it } from "vitest";
import { type FrameObservation, judgeChallenge, observedActions, subjectAgreement } from "../src/active-liveness.js";

// Poses as ORL's captures of one person read them (see src/pose.ts): frontal yaw
// near 0.03 with eyes near 0.26, her turn to the right -0.45, closed eyes 0.15.
const face = (yaw: number, eyes = 0.26): FrameObservation => ({ faces: 1, pose: { yaw, eyes } });
const frontal = (n: number) => Array.from({ length: n }, (_, i) => face(0.03 + (i % 3) * 0.01, 0.26 - (i % 2) * 0.01));
const right = (n: number) => Array.from({ length: n }, () => face(-0.45));
const left = (n: number) => Array.from({ length: n }, () => face(0.5));
const closed = (n: number) => Array.from({ length: n }, () => face(0.05, 0.15));

describe("reading actions off poses", () => {
  it("sees a turn held for two frames, not one frame of jitter", () => {
    expect(observedActions([...frontal(4), ...right(2), ...frontal(3)])).toEqual(["turn-right"]);
    expect(observedActions([...frontal(4), ...right(1), ...frontal(3)])).toEqual([]);
    expect(observedActions([...frontal(4), ...left(3), ...frontal(3)])).toEqual(["turn-left"]);
  });

  it("sees a blink only when the eyes open again", () => {
    expect(observedActions([...frontal(4), ...closed(3), ...frontal(3)])).toEqual(["blink"]);
    expect(observedActions([...frontal(4), ...closed(3)])).toEqual([]);
  });

  it("measures against the person's own frontal pose, not zero", () => {
    // A camera that sees the person from the side reads a frontal yaw of 0.3 for them.
    const shifted = (frames: FrameObservation[]) => frames.map((f) => face((f.pose?.yaw ?? 0) + 0.3, f.pose?.eyes));
    expect(observedActions(shifted([...frontal(5), ...right(3), ...frontal(3)]))).toEqual(["turn-right"]);
  });

  it("needs no eyes for turns (five-point packs), and reads no blink without them", () => {
    const noEyes = [...frontal(4), ...right(3), ...frontal(3)].map((f) => ({ faces: 1, pose: { yaw: f.pose?.yaw ?? 0 } }));
    expect(observedActions(noEyes)).toEqual(["turn-right"]);
  });
});

describe("judging a challenge", () => {
  it("passes the asked actions in the asked order, an unasked blink forgiven", () => {
    const frames = [...frontal(3), ...right(3), ...frontal(3), ...closed(2), ...frontal(3)];
    expect(judgeChallenge(["turn-right", "blink"], frames)).toMatchObject({ live: true, reason: "live", faceFrames: 14 });
    expect(judgeChallenge(["turn-right"], frames)).toMatchObject({ live: true, observed: ["turn-right", "blink"] });
  });

  it("fails each way a challenge can be failed, and says why", () => {
    const answer = [...frontal(3), ...right(3), ...frontal(3), ...closed(2), ...frontal(3)];
    expect(judgeChallenge(["blink", "turn-right"], answer).reason).toBe("wrong-order");
    expect(judgeChallenge(["turn-left"], answer)).toMatchObject({ live: false, reason: "wrong-action" });
    expect(judgeChallenge(["blink"], [...frontal(3), ...right(3), ...frontal(3)]).reason).toBe("wrong-action");
    expect(judgeChallenge(["turn-right", "turn-left"], answer)).toMatchObject({
      reason: "missing-action",
      detail: "the frames do not show turn-left",
    });
    expect(
      judgeChallenge(
        ["blink"],
        Array.from({ length: 10 }, () => face(0.03)),
      ).reason,
    ).toBe("still-image");
    expect(judgeChallenge(["blink"], [...frontal(3), { faces: 0 }])).toMatchObject({
      reason: "too-few-frames",
      frames: 4,
      faceFrames: 3,
    });
    expect(judgeChallenge(["blink"], [...answer.slice(0, 5), { faces: 2 }, ...answer.slice(5)]).reason).toBe("several-faces");
  });

  it("ignores frames without a face, as long as enough have one", () => {
    const frames = [...frontal(3), { faces: 0 }, ...right(3), { faces: 0 }, ...frontal(3)];
    expect(judgeChallenge(["turn-right"], frames)).toMatchObject({ live: true, frames: 11, faceFrames: 9 });
  });
});

describe("checking the subject a challenge names", () => {
  const scored = (frames: FrameObservation[], scores: number[]) =>
    frames.map((f, i) => ({ ...f, match: { score: scores[i] as number, threshold: 0.35 } }));

  it("takes the median over the frames facing the camera; turned ones, lower for anyone, are left out", () => {
    // Frontal frames score about 0.6; the turned ones 0.2, which would sink the median if they counted.
    const frames = scored([...frontal(4), ...right(3)], [0.6, 0.62, 0.58, 0.61, 0.2, 0.2, 0.2]);
    expect(subjectAgreement(frames)).toEqual({ match: true, score: 0.605, threshold: 0.35, frames: 4 });
  });

  it("fails when someone else is shown in between, and needs two frontal frames", () => {
    const swapped = scored(frontal(5), [0.6, 0.1, 0.1, 0.1, 0.6]);
    expect(subjectAgreement(swapped)).toMatchObject({ match: false, score: 0.1 });
    expect(subjectAgreement(scored(frontal(1), [0.9]))).toMatchObject({ match: false, frames: 1 });
    expect(subjectAgreement(frontal(3))).toBeUndefined();
  });
});
