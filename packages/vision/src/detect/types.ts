import type { Box, Point } from "../geometry.js";
import type { Image } from "../image.js";

export interface Detection {
  box: Box;
  score: number;
  /** Five points in ArcFace order (eye image-left, eye image-right, nose, mouth left, mouth right), if the model gives them. */
  landmarks?: Point[];
}

export interface DetectOptions {
  scoreThreshold: number;
  nmsThreshold: number;
  /** Faces whose box is smaller than this (shorter side, in source pixels) are dropped. */
  minFaceSize: number;
  maxFaces: number;
}

export const DEFAULT_DETECT_OPTIONS: DetectOptions = {
  scoreThreshold: 0.7,
  nmsThreshold: 0.4,
  minFaceSize: 20,
  maxFaces: 100,
};

export interface FaceDetector {
  readonly id: string;
  detect(img: Image, options?: Partial<DetectOptions>): Promise<Detection[]>;
}
