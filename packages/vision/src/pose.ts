import type { Point } from "./geometry.js";

/** What an active liveness check reads off one face's landmarks. */
export interface FacePose {
  /**
   * How far the nose sits from the eyes' midpoint along the line through the eyes, in eye distances:
   * about 0 for a frontal face, negative when the nose is left of it in the image (the person turned
   * to their own right, as an unmirrored camera sees it), positive for the other way. On ORL frontal
   * captures it stayed within ±0.15; a strong turn (s1/3) read -0.55.
   *
   * The ratio does not change when a flat photo is tilted or turned in front of the camera: both
   * distances shrink by the same factor. Only a head that turns moves the nose against the eyes.
   */
  yaw: number;
  /**
   * The eyes' opening, from the 68-point layout (absent with five points): the mean of both eyes'
   * aspect ratios (lid-to-lid height over corner-to-corner width), divided by the face's own aspect
   * (eye-line-to-mouth height over eye distance). A real blink closes the lids and leaves the face's
   * aspect alone; a flat photo tipped back squashes both by the same factor, so it does not read as a
   * blink.
   */
  eyes?: number;
}

const distance = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);

/** One eye's aspect ratio from its six points (corner, two upper lid, corner, two lower lid). */
function eyeAspect(p: readonly Point[], first: number): number {
  const at = (i: number) => p[first + i] as Point;
  return (distance(at(1), at(5)) + distance(at(2), at(4))) / (2 * distance(at(0), at(3)));
}

/**
 * The pose of a face from its five ArcFace-order points, with its 68 landmarks where there are any
 * (the eyes' opening needs their eyelids; without them there is no `eyes`).
 */
export function poseOf(five: readonly Point[], all68?: readonly Point[]): FacePose {
  if (five.length !== 5) throw new Error(`poseOf takes the five alignment points, not ${five.length}`);
  const [left, right, nose] = five as [Point, Point, Point];
  const ex = right.x - left.x;
  const ey = right.y - left.y;
  const span = Math.hypot(ex, ey);
  // Projected on the eye line, so a head tilted sideways (roll) does not read as a turn.
  const along = (q: Point) => ((q.x - (left.x + right.x) / 2) * ex + (q.y - (left.y + right.y) / 2) * ey) / (span * span);
  const yaw = along(nose);
  if (!all68) return { yaw };
  const [, , , mouthLeft, mouthRight] = five as [Point, Point, Point, Point, Point];
  // The mouth's distance from the eye line, across it, in eye distances.
  const mx = (mouthLeft.x + mouthRight.x) / 2 - (left.x + right.x) / 2;
  const my = (mouthLeft.y + mouthRight.y) / 2 - (left.y + right.y) / 2;
  const faceAspect = Math.abs(mx * ey - my * ex) / (span * span);
  return { yaw, eyes: (eyeAspect(all68, 36) + eyeAspect(all68, 42)) / 2 / faceAspect };
}
