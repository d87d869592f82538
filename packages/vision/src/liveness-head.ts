import { readFileSync } from "node:fs";
import type { Box } from "./geometry.js";
import type { Image } from "./image.js";
import type { LivenessModel } from "./liveness.js";

/** A logistic model over standardised features: live probability = sigmoid(w . (x - mean) * scale + b). */
export interface LogisticModel {
  mean: ArrayLike<number>;
  scale: ArrayLike<number>;
  /** Weights, then the bias last. */
  weights: ArrayLike<number>;
}

export function predictLogistic(model: LogisticModel, row: ArrayLike<number>): number {
  const dims = model.mean.length;
  let dot = model.weights[dims] as number;
  for (let j = 0; j < dims; j++) {
    dot += ((row[j] as number) - (model.mean[j] as number)) * (model.scale[j] as number) * (model.weights[j] as number);
  }
  return 1 / (1 + Math.exp(-dot));
}

/** What `facerec train liveness-head` writes: the head, the models it reads, and how it was checked. */
export interface LivenessHeadFile {
  kind: "facerec-liveness-head";
  version: 1;
  /** Liveness model ids whose last-layer features are joined, in this order. */
  models: string[];
  head: { mean: number[]; scale: number[]; weights: number[] };
  lambda: number;
  /** The live probability at which APCER was 5% on held-out subjects (the gate's default). */
  threshold_at_apcer_5: number;
  trained_on: { bona_fide: number; attacks: number; subjects: number };
  /** Leaving one subject out at a time: how the head did on people it was not fitted on. */
  cross_validated: { bpcer_at_apcer_5: number; auc: number };
}

/** What a liveness check says of itself: its id, its calibrated thresholds and how they were calibrated. */
export interface LivenessInfo {
  id: string;
  thresholds?: Record<string, number>;
  calibration?: string;
}

/** A face made ready for a liveness check without its frame: one crop per model, at the model's input. */
export type LivenessInput = readonly Image[];

/** Anything that scores faces for liveness: one model, or a head over several. */
export interface LivenessScorer {
  readonly id: string;
  readonly model: LivenessInfo;
  score(img: Image, box: Box): Promise<number>;
  scoreMany(img: Image, boxes: readonly Box[]): Promise<number[]>;
  /** The face's crops, cut now (no model run), so it can be scored later without keeping the frame. */
  prepare(img: Image, box: Box): LivenessInput;
  /** The live score of each prepared face, in one batch. */
  scorePrepared(inputs: readonly LivenessInput[]): Promise<number[]>;
}

/** One face's features from each model, joined in the models' order (the head's input). */
function joinRow(parts: readonly Float32Array[]): Float32Array {
  const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  return joined;
}

/** Each face's features from every model, joined in the models' order (the head's input). */
export async function joinedFeatures(
  models: readonly LivenessModel[],
  img: Image,
  boxes: readonly Box[],
): Promise<Float32Array[]> {
  const perModel = await Promise.all(models.map((m) => m.features(img, boxes)));
  return boxes.map((_, i) => joinRow(perModel.map((features) => features[i] as Float32Array)));
}

/**
 * A logistic head over several liveness models' last-layer features, learnt from a deployment's own
 * real and attack captures (`facerec train liveness-head`); FACEREC_LIVENESS_HEAD loads it in place of
 * the single model.
 */
export class LivenessHead implements LivenessScorer {
  readonly model: LivenessInfo;

  constructor(
    private readonly models: readonly LivenessModel[],
    private readonly file: LivenessHeadFile,
  ) {
    const cv = file.cross_validated;
    this.model = {
      id: `head(${file.models.join("+")})`,
      thresholds: { "apcer_5e-2": file.threshold_at_apcer_5 },
      calibration: `a logistic head on ${file.models.join(" and ")}, learnt from ${file.trained_on.bona_fide} real and ${file.trained_on.attacks} attack captures of ${file.trained_on.subjects} people; on people it was not fitted on, BPCER ${(100 * cv.bpcer_at_apcer_5).toFixed(1)}% at APCER 5%.`,
    };
  }

  /** Read a head file; `load` gives the models it names, each able to output its features. */
  static read(path: string): LivenessHeadFile {
    const file = JSON.parse(readFileSync(path, "utf8")) as LivenessHeadFile;
    if (file.kind !== "facerec-liveness-head" || file.version !== 1) {
      throw new Error(`${path} is not a facerec liveness head (version 1)`);
    }
    return file;
  }

  get id(): string {
    return this.model.id;
  }

  async score(img: Image, box: Box): Promise<number> {
    return (await this.scoreMany(img, [box]))[0] as number;
  }

  scoreMany(img: Image, boxes: readonly Box[]): Promise<number[]> {
    return this.scorePrepared(boxes.map((box) => this.prepare(img, box)));
  }

  prepare(img: Image, box: Box): LivenessInput {
    return this.models.map((m) => m.crop(img, box));
  }

  async scorePrepared(inputs: readonly LivenessInput[]): Promise<number[]> {
    if (inputs.length === 0) return [];
    const perModel = await Promise.all(this.models.map((m, k) => m.featuresOfCrops(inputs.map((i) => i[k] as Image))));
    return inputs.map((_, i) =>
      predictLogistic(this.file.head, joinRow(perModel.map((features) => features[i] as Float32Array))),
    );
  }
}
