// What an edge detector needs and nothing more: importing the package's main entry would also load
// the job queue (bullmq), the gallery and the matcher, which an edge box never runs.
export { CropPublisher } from "./crop-publisher.js";
export { type EdgeCounters, EdgeDetector, type EdgeOptions } from "./edge.js";
export { directoryFrames, type Frame, splitPngs, videoFrames } from "./frame-sources.js";
export { DEFAULT_TRACKER_OPTIONS, type Shot, Tracker, type TrackerOptions } from "./tracker.js";
export { startWorkerService } from "./worker-service.js";
