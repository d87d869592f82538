export {
  CHALLENGE_ACTIONS,
  CHALLENGE_PROMPTS,
  CHALLENGE_REASONS,
  type ChallengeAction,
  type ChallengeReason,
  type ChallengeVerdict,
  DEFAULT_JUDGE,
  type FrameObservation,
  type JudgeOptions,
  judgeChallenge,
  observedActions,
  type SubjectAgreement,
  subjectAgreement,
} from "./active-liveness.js";
export { ARCFACE_TEMPLATE, alignFace, applyAffine, invertAffine, similarityTransform } from "./align.js";
export {
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
  decodeImage,
  encodePng,
  type ImageFormat,
  resizeImage,
  sniffFormat,
} from "./decode.js";
export { DEFAULT_DETECT_OPTIONS, type Detection, type DetectOptions, type FaceDetector } from "./detect/types.js";
export { Embedder, type EmbedOptions } from "./embed.js";
export { type AnalyseOptions, type EngineConfig, type Face, FaceEngine, PIPELINE_VERSION } from "./engine.js";
export { ImageError, type ImageErrorCode, ModelPackError, ProviderError } from "./errors.js";
export { type Box, iou, nms, type Point } from "./geometry.js";
export { type Affine, cropResize, flipHorizontal, type Image, toGrey, warpAffine } from "./image.js";
export { fivePointsFrom68, Landmarks68 } from "./landmarks.js";
export { LivenessModel, softmax, trackLiveness } from "./liveness.js";
export {
  joinedFeatures,
  LivenessHead,
  type LivenessHeadFile,
  type LivenessInfo,
  type LivenessInput,
  type LivenessScorer,
  type LogisticModel,
  predictLogistic,
} from "./liveness-head.js";
export {
  generatedPacksDir,
  ModelCatalogue,
  type ModelSpec,
  type PackManifest,
  type ResolvedModel,
  type Role,
} from "./model-pack.js";
export { makeBatchDynamic } from "./onnx-batch.js";
export { modelCacheDir, sharedDir } from "./paths.js";
export { PHOTOMETRIC_SHIFTS, type PhotometricShift } from "./photometric.js";
export { type FacePose, poseOf } from "./pose.js";
export { assessQuality, combineQuality, laplacianVariance, type QualityReport } from "./quality.js";
export { type ActivationRanges, CALIBRATION_QUANTILE, calibrate, type QuantizeOptions, quantizeQdq } from "./quantize.js";
export {
  createSession,
  DEFAULT_EMBEDDER_THREADS,
  EXECUTION_PROVIDERS,
  ort,
  runTensor,
  type SessionOptions,
} from "./session.js";
export { inputLength, reduceToNchw, toNchw, writeNchw } from "./tensor.js";
export { type GraphLevel, TUNED_LEVELS, type Tuning, tunedEmbedderSession } from "./tune.js";
