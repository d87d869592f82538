import { availableParallelism } from "node:os";

const MiB = 1024 * 1024;

/**
 * The limits every request is held to, over REST and gRPC alike: the operation layer (Recognition)
 * enforces them and the REST schemas only repeat them for the OpenAPI document.
 */
export interface Limits {
  /**
   * Requests a minute per API key (a token bucket, bursts up to the same number); 0 turns it off.
   * @default 600: ten a second sustained, far above a kiosk or a console, well below a flood
   */
  ratePerMinute: number;
  /**
   * Failed authentications a minute for one presented key id (or, for a malformed key, one client
   * address) before further failures of it are answered 429; a valid key always passes (AuthGuard).
   * @default 30: room for a person retyping a key, not for a guesser
   */
  authFailuresPerMinute: number;
  /** @default 200 characters: a full name with titles, with room to spare */
  subjectName: number;
  /** @default 50 metadata entries of at most 1000 characters: labels, not documents */
  metadataEntries: number;
  metadataValue: number;
  /** @default 20 images in one enrolment: a handful of photos per person is what enrolment needs */
  enrolImages: number;
  /**
   * Frames one identification may send after its image, for liveness over a burst.
   * @default 9: ten frames in all, twice the five a camera track is decided over
   */
  burstFrames: number;
  /** @default 20 MiB for one image: a 40-megapixel JPEG at high quality fits */
  imageBytes: number;
  /**
   * The whole upload of one request (JSON with base64 images, or a multipart form).
   * @default 30 MiB: one full-size image as base64 with room for the rest of the body
   */
  requestBytes: number;
  /**
   * The body of an operation that carries no image (subjects, keys, policy, webhooks, review names).
   * @default 1 MiB: a subject with 50 metadata entries of 1,000 characters is about 100 KB
   */
  plainRequestBytes: number;
  /**
   * Request bodies in flight across the process; past it a request is answered 503 at once instead of
   * being read. @default 256 MiB: the flood test's 1,000 uploads of a 640x480 JPEG need about 60 MiB
   */
  uploadBytesInFlight: number;
  /**
   * One tenant's share of the bodies in flight, so that its idle or slow uploads slow only itself.
   * @default 128 MiB: half the process's, twice what the flood test's 1,000 uploads need
   */
  tenantUploadBytes: number;
  /**
   * The slowest an upload may arrive, past its first 5 s; a slower one is closed and its share of the
   * upload budget goes back. @default 32 KiB/s: a 20 MiB image over a link that slow would outlast the
   * 30 s request timeout anyway, and a trickling sender no longer holds its bytes for those 30 s
   */
  minUploadBytesPerSecond: number;
  /**
   * The largest gRPC message read, and what a gRPC image call reserves from the upload budget (its
   * size is not known before it is read). @default 24 MiB: one image at the 20 MiB limit with its fields
   */
  grpcMessageBytes: number;
  /**
   * gRPC calls in progress at once; past it a call is answered RESOURCE_EXHAUSTED before its message is
   * read. @default 128: four times the image queue, which is where calls wait for the engine
   */
  grpcConcurrentCalls: number;
  /**
   * Image operations (decode, detect, embed) running at once. ONNX Runtime already spreads one inference
   * over the cores, so more than this only adds decoded images waiting in memory.
   * @default the number of cores, at least 2
   */
  imageWorkers: number;
  /**
   * Image operations waiting for a worker; past it a request is answered 503 with Retry-After.
   * @default 32: at about 60 ms an identify on 2 cores, the last one waits about a second
   */
  imageQueue: number;
  /**
   * One tenant's share of the running and waiting image operations, so one tenant's flood leaves room
   * for the others. @default 24: three quarters of the default queue
   */
  tenantImageShare: number;
  /** @default 8 open match streams (SSE and WatchMatches) per API key: a console in a few tabs */
  streamsPerKey: number;
  /**
   * Open match streams of one tenant, whatever its keys: a tenant minting keys cannot take every
   * stream a gateway can feed. @default 256: thirty-two consoles of eight tabs (the flood test opens
   * 240 streams over 30 keys of one tenant)
   */
  streamsPerTenant: number;
  /**
   * Bytes queued for a stream reader that does not keep up; past it the stream is ended (the client
   * reconnects). @default 1 MiB: about 2,000 match events
   */
  streamBacklogBytes: number;
  /** @default 20 webhooks per tenant: a few receivers per site, not one per camera */
  webhooksPerTenant: number;
  /** @default 2048 characters for a webhook URL: what browsers and proxies reliably carry */
  webhookUrl: number;
  /** @default 100 entries in each webhook filter (cameras, subjects): a site's cameras, a watch list */
  webhookFilterEntries: number;
}

export const DEFAULT_LIMITS: Limits = {
  ratePerMinute: 600,
  authFailuresPerMinute: 30,
  subjectName: 200,
  metadataEntries: 50,
  metadataValue: 1000,
  enrolImages: 20,
  burstFrames: 9,
  imageBytes: 20 * MiB,
  requestBytes: 30 * MiB,
  plainRequestBytes: MiB,
  uploadBytesInFlight: 256 * MiB,
  tenantUploadBytes: 128 * MiB,
  minUploadBytesPerSecond: 32 * 1024,
  grpcMessageBytes: 24 * MiB,
  grpcConcurrentCalls: 128,
  imageWorkers: Math.max(2, availableParallelism()),
  imageQueue: 32,
  tenantImageShare: 24,
  streamsPerKey: 8,
  streamsPerTenant: 256,
  streamBacklogBytes: MiB,
  webhooksPerTenant: 20,
  webhookUrl: 2048,
  webhookFilterEntries: 100,
};
