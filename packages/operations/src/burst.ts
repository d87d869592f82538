import { createHash } from "node:crypto";
import { type Face, iou, type LivenessInfo, trackLiveness } from "@facerec/vision";

/** The frames that differ from the image and from each other: a frame sent twice counts once. */
export function distinctFrames(image: Uint8Array, frames: readonly Uint8Array[]): Uint8Array[] {
  const digest = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
  const seen = new Set([digest(image)]);
  return frames.filter((frame) => {
    const d = digest(frame);
    if (seen.has(d)) return false;
    seen.add(d);
    return true;
  });
}

/**
 * The least overlap a frame's face needs with the image's face to be taken as the same person in a
 * burst: frames a fraction of a second apart move a face by less than half its width.
 */
export const BURST_MIN_IOU = 0.3;

/** Frames from which a burst is judged at the pack's track threshold (its calibration's window). */
export const TRACK_FRAMES = 5;

/** A face's liveness over a burst: the combined score, the frames it came from and the bar it must clear. */
export interface BurstLiveness {
  score: number;
  frames: number;
  minimum: number;
}

/**
 * Each face of the image with its liveness over the burst, as a camera track is decided: its own score
 * and, from every frame, the score of the face overlapping it most (at least BURST_MIN_IOU), combined
 * as the mean of their log-odds. A burst is a live capture, so it is judged at a camera's thresholds:
 * from TRACK_FRAMES frames the pack's track threshold (`apcer_5e-2_track5`), below that its one-frame
 * one (`apcer_5e-2`), never at the lower bar of one uploaded photo, and never under `floor` (the
 * deployment's own bar, FACEREC_MIN_LIVENESS, where a site calibrated one). Undefined for a face
 * without a score.
 */
export function burstLiveness(
  faces: readonly Face[],
  frames: readonly Face[][],
  model: LivenessInfo,
  floor = 0,
): (BurstLiveness | undefined)[] {
  return faces.map((face) => {
    if (face.liveness === undefined) return undefined;
    const scores = [face.liveness];
    for (const frame of frames) {
      const same = frame
        .map((f) => ({ f, overlap: iou(f.box, face.box) }))
        .filter((x) => x.overlap >= BURST_MIN_IOU && x.f.liveness !== undefined)
        .sort((a, b) => b.overlap - a.overlap)[0];
      if (same) scores.push(same.f.liveness as number);
    }
    const thresholds = model.thresholds ?? {};
    const camera =
      scores.length >= TRACK_FRAMES
        ? (thresholds["apcer_5e-2_track5"] ?? thresholds["apcer_5e-2"] ?? 0.5)
        : (thresholds["apcer_5e-2"] ?? 0.5);
    const minimum = Math.max(camera, floor);
    return { score: trackLiveness(scores), frames: scores.length, minimum };
  });
}
