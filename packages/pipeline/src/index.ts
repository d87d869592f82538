export { Batcher, type BatcherOptions } from "./batcher.js";
export * from "./bus.js";
export { type Consuming, consumeLoop } from "./consume.js";
export { CropPublisher } from "./crop-publisher.js";
export { deadLetter, deliveryBackstop, Retries } from "./dead-letter.js";
export { type EdgeCounters, EdgeDetector, type EdgeOptions } from "./edge.js";
export { EmbedWorker, type EmbedWorkerOptions } from "./embed-worker.js";
export { directoryFrames, type Frame, splitPngs, videoFrames } from "./frame-sources.js";
export {
  insideImportRoot,
  JOB_KINDS,
  JOB_QUEUE,
  JobRunner,
  type JobSpec,
  Jobs,
  type JobView,
  OutsideImportError,
  redisConnection,
} from "./jobs.js";
export { MatchWorker, type MatchWorkerOptions } from "./match-worker.js";
export { Spool, type SpoolItem, type SpoolOptions } from "./spool.js";
export { DEFAULT_TRACKER_OPTIONS, type Shot, Tracker, type TrackerOptions } from "./tracker.js";
export { startWorkerService } from "./worker-service.js";
