import type { Box, Point } from "./geometry.js";
import { distance } from "./geometry.js";
import { type Image, toGrey } from "./image.js";

export interface QualityReport {
  /** Shorter side of the face box in source pixels. */
  faceSize: number;
  /** Variance of the Laplacian of the aligned grey crop: low means blurred. */
  sharpness: number;
  /** Yaw proxy: horizontal offset of the nose from the eyes' midpoint, in interocular distances (0 = frontal). */
  yaw: number;
  /** Roll of the eye line in degrees. */
  roll: number;
  detectorScore: number;
  /** Combined score in 0..1 (see `combineQuality`). */
  score: number;
}

const ramp = (v: number, lo: number, hi: number): number => Math.min(1, Math.max(0, (v - lo) / (hi - lo)));

/** Variance of a 4-neighbour Laplacian over the interior pixels of a grey image. */
export function laplacianVariance(img: Image): number {
  const g = toGrey(img);
  const { width, height, data } = g;
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const lap =
        (data[i - 1] as number) +
        (data[i + 1] as number) +
        (data[i - width] as number) +
        (data[i + width] as number) -
        4 * (data[i] as number);
      sum += lap;
      sumSq += lap * lap;
      n++;
    }
  }
  const m = sum / n;
  return sumSq / n - m * m;
}

/**
 * Each factor is mapped to 0..1 and the combined score is their product, so any one bad factor
 * pulls the face down:
 * - size: 0 at 24 px, 1 from 80 px (the embedder works at 112 px);
 * - sharpness: 0 at a Laplacian variance of 10, 1 from 150 (on 303 aligned LFW faces the 5th percentile
 *   is 49 and the median 112; a Gaussian blur of sigma 3 brings three faces of 67-203 down to 8-9);
 * - pose: 1 while |yaw| <= 0.15, 0 at |yaw| >= 0.6 (profile; the LFW faces above have median |yaw| 0.09,
 *   95th percentile 0.31); roll is removed by alignment, so it is ignored;
 * - detector confidence: 0 at 0.5, 1 from 0.9.
 */
export function combineQuality(q: Omit<QualityReport, "score">): number {
  const size = ramp(q.faceSize, 24, 80);
  const sharp = ramp(q.sharpness, 10, 150);
  const pose = 1 - ramp(Math.abs(q.yaw), 0.15, 0.6);
  const conf = ramp(q.detectorScore, 0.5, 0.9);
  return size * sharp * pose * conf;
}

export function assessQuality(box: Box, landmarks: readonly Point[], aligned: Image, detectorScore: number): QualityReport {
  const [le, re, nose] = landmarks as [Point, Point, Point];
  const eyeMid = { x: (le.x + re.x) / 2, y: (le.y + re.y) / 2 };
  const interocular = Math.max(1e-6, distance(le, re));
  const roll = (Math.atan2(re.y - le.y, re.x - le.x) * 180) / Math.PI;
  // Project the nose offset onto the eye line so that roll does not read as yaw.
  const ux = (re.x - le.x) / interocular;
  const uy = (re.y - le.y) / interocular;
  const yaw = ((nose.x - eyeMid.x) * ux + (nose.y - eyeMid.y) * uy) / interocular;
  const report = {
    faceSize: Math.min(box.width, box.height),
    sharpness: laplacianVariance(aligned),
    yaw,
    roll,
    detectorScore,
  };
  return { ...report, score: combineQuality(report) };
}
