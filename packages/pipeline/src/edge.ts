import { randomUUID } from "node:crypto";
import { FaceCrop } from "@facerec/contracts";
import { headersFor, inSpan, SpanKind } from "@facerec/runtime";
import { encodePng, type Face, type FaceEngine, type Image, type LivenessInput, trackLiveness } from "@facerec/vision";
import { ROOT_CONTEXT } from "@opentelemetry/api";
import type { CropPublisher } from "./crop-publisher.js";
import { DEFAULT_TRACKER_OPTIONS, type Shot, Tracker, type TrackerOptions } from "./tracker.js";

export interface EdgeOptions {
  tenant: string;
  /** Faces below this quality are not tracked. */
  minQuality: number;
  /** Shots below this live probability are not published (when the engine has a liveness model). */
  minLiveness: number;
  tracker: TrackerOptions;
}

export interface EdgeCounters {
  frames: number;
  faces: number;
  rejectedQuality: number;
  rejectedLiveness: number;
  published: number;
  spooled: number;
}

/**
 * A tracked face: with its frame while the tracker looks at it, and once the track keeps it (as its
 * best shot or a sample), with its liveness crops instead (the frame is let go).
 */
type TrackedFace = Face & { frame?: Image; live?: LivenessInput };

/**
 * The edge detector's work on each frame: detect, align, gate on quality, follow faces with a tracker
 * per camera, and publish each track's best shot as a FaceCrop once its liveness clears the gate.
 *
 * Liveness is scored when a track releases a shot, not on every face of every frame: the liveness
 * model costs about twice the detector a face (5.1 against 2.6 ms here), so scoring every face of a
 * 25 fps stream spent most of the edge's time on faces whose shot is never sent. It is decided over the
 * track, not one frame: the best shot and the track's recent samples (the tracker's `samples`, whose
 * liveness crops are cut as the frames come) are scored in one batch and combined by trackLiveness.
 */
export class EdgeDetector {
  private readonly trackers = new Map<string, Tracker<TrackedFace>>();
  /** When each camera's last frame arrived (wall clock), to end the tracks of a camera gone quiet. */
  private readonly lastFrame = new Map<string, number>();
  private readonly quietTimer: NodeJS.Timeout;
  /** Shots released by a tracker and not yet published or spooled. */
  private inFlight = 0;
  readonly counters: EdgeCounters = { frames: 0, faces: 0, rejectedQuality: 0, rejectedLiveness: 0, published: 0, spooled: 0 };

  constructor(
    private readonly engine: FaceEngine,
    private readonly publisher: CropPublisher,
    private readonly options: EdgeOptions,
  ) {
    // A single pushed photo, or the last frame of a source, is released once its camera has been
    // quiet for the tracker's gap, not when some later frame happens to come.
    this.quietTimer = setInterval(() => void this.releaseQuiet(), Math.max(50, options.tracker.maxGapMs / 4));
    this.quietTimer.unref();
  }

  private async releaseQuiet(): Promise<void> {
    const now = Date.now();
    for (const [camera, at] of this.lastFrame) {
      if (now - at < this.options.tracker.maxGapMs) continue;
      this.lastFrame.delete(camera);
      await this.end(camera).catch(() => {});
    }
  }

  /** Stop the quiet-camera timer (the process is stopping). */
  close(): void {
    clearInterval(this.quietTimer);
  }

  static defaults(tenant: string): EdgeOptions {
    // The default pack's liveness128 threshold for a track's combined score: APCER 5% over windows of 5
    // frames on NUAA (its one-frame threshold, 0.354, gave those windows APCER 0.9% and BPCER 30.5%).
    return { tenant, minQuality: 0.3, minLiveness: 0.133, tracker: DEFAULT_TRACKER_OPTIONS };
  }

  /** One frame of `camera` taken at `time`; resolves once the shots it released are published or spooled. */
  async frame(camera: string, image: Image, time: Date): Promise<void> {
    this.counters.frames++;
    this.lastFrame.set(camera, Date.now());
    const faces = await this.engine.analyse(image, { embed: false, liveness: false });
    this.counters.faces += faces.length;
    const kept = faces.flatMap((f): TrackedFace[] => {
      if (f.quality.score >= this.options.minQuality) return [{ ...f, frame: image }];
      this.counters.rejectedQuality++;
      return [];
    });
    await this.publish(camera, this.tracker(camera).update(time.getTime(), kept));
    this.lastFrame.set(camera, Date.now());
  }

  /** The camera's stream ended: release every track's pending best shot. */
  async end(camera: string): Promise<void> {
    // Taken out before publishing: a frame arriving meanwhile starts a fresh tracker, and its faces are
    // not thrown away with this one.
    const tracker = this.trackers.get(camera);
    this.trackers.delete(camera);
    await this.publish(camera, tracker?.flush() ?? []);
  }

  /**
   * Best shots not yet published or spooled: those tracks still hold, and those on their way to the
   * publisher. Zero means every face accepted so far is accounted for in the publisher's counts.
   */
  get pending(): number {
    let held = 0;
    for (const t of this.trackers.values()) held += t.held;
    return held + this.inFlight;
  }

  private tracker(camera: string): Tracker<TrackedFace> {
    let t = this.trackers.get(camera);
    if (!t) {
      const scorer = this.engine.liveness;
      t = new Tracker<TrackedFace>(
        (f) => f.quality.score,
        this.options.tracker,
        ({ frame, ...f }) => (scorer && frame ? { ...f, live: scorer.prepare(frame, f.box) } : f),
      );
      this.trackers.set(camera, t);
    }
    return t;
  }

  /** Each shot's live probability over its track: its best face and its samples, all shots in one batch. */
  private async liveness(shots: readonly Shot<TrackedFace>[]): Promise<(number | undefined)[]> {
    const scorer = this.engine.liveness;
    if (!scorer) return shots.map(() => undefined);
    const faces = shots.map((shot) => [...new Set([shot.face, ...shot.samples])].flatMap((f) => (f.live ? [f.live] : [])));
    const scores = faces.some((inputs) => inputs.length) ? await scorer.scorePrepared(faces.flat()) : [];
    let at = 0;
    return faces.map((inputs) => {
      const mine = scores.slice(at, at + inputs.length);
      at += inputs.length;
      return mine.length ? trackLiveness(mine) : undefined;
    });
  }

  private async publish(camera: string, shots: Shot<TrackedFace>[]): Promise<void> {
    // Counted in the same turn as the tracker released them (before the first await), so that no
    // moment shows them neither held nor spooled.
    this.inFlight += shots.length;
    try {
      const live = await this.liveness(shots);
      for (const [i, shot] of shots.entries()) {
        const f = shot.face;
        const liveness = live[i];
        if (liveness !== undefined && liveness < this.options.minLiveness) {
          this.counters.rejectedLiveness++;
          continue;
        }
        const crop = FaceCrop.fromPartial({
          cropId: randomUUID(),
          tenant: this.options.tenant,
          camera,
          frameTime: new Date(shot.time),
          box: f.box,
          landmarks: f.landmarks,
          detectorScore: f.detectorScore,
          quality: f.quality.score,
          liveness: liveness ?? 1,
          alignedPng: await encodePng(f.aligned),
          trackId: shot.trackId,
        });
        // Each crop starts a trace that the embedder and matcher continue through the message headers.
        await inSpan(
          "edge.publish-crop",
          ROOT_CONTEXT,
          { "facerec.crop_id": crop.cropId, "facerec.camera": camera, "facerec.track_id": shot.trackId },
          SpanKind.PRODUCER,
          async (span) => {
            const outcome = await this.publisher.publish(crop, headersFor(span));
            span.setAttribute("facerec.outcome", outcome);
            this.counters[outcome]++;
          },
        );
      }
    } finally {
      this.inFlight -= shots.length;
    }
  }
}
