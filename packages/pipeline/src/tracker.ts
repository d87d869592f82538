import { randomUUID } from "node:crypto";
import { type Box, iou } from "@facerec/vision";

export interface TrackerOptions {
  /** Smallest overlap (intersection over union) for a face to continue a track. */
  minIou: number;
  /** A track publishes its best shot at most once per interval. */
  intervalMs: number;
  /** A track not seen for this long has ended (its best shot, if any, is published). */
  maxGapMs: number;
  /**
   * Recent faces a track keeps beside its best shot, released with it (for a decision over several
   * frames, as liveness is). @default 5 (liveness128 over 5 frames: BPCER 17.6% at APCER 5% on NUAA,
   * against 33.8% on one; 10 frames 12.1%)
   */
  samples?: number;
  /**
   * At most one sample per this long, so the samples span the track rather than a few frames of it.
   * @default 400 ms: five samples cover the 2 s release interval (NUAA's windows were frames about
   * 0.2 s apart; frames 40 ms apart say little more than one)
   */
  sampleEveryMs?: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = {
  minIou: 0.3,
  intervalMs: 2000,
  maxGapMs: 1000,
  samples: 5,
  sampleEveryMs: 400,
};

export interface Shot<F> {
  trackId: string;
  face: F;
  /** Frame time of the shot, in ms. */
  time: number;
  /** The track's most recent sampled faces when the shot was released, oldest first (none unless asked for). */
  samples: F[];
}

interface Track<F> {
  id: string;
  box: Box;
  lastSeen: number;
  windowStart: number;
  best?: Omit<Shot<F>, "samples">;
  samples: F[];
  lastSample: number;
}

/**
 * Follows faces across the frames of one camera by box overlap and keeps each track's best shot (the
 * highest quality), released once per interval and when the track ends, so a person standing in view
 * for a minute yields a handful of crops, not one per frame.
 */
export class Tracker<F extends { box: Box }> {
  private tracks: Track<F>[] = [];

  constructor(
    /** How good a shot a face is: the highest of a window is kept. */
    private readonly quality: (face: F) => number,
    private readonly options: TrackerOptions = DEFAULT_TRACKER_OPTIONS,
    /**
     * What the track keeps of a face it holds (as its best shot or a sample): the edge cuts the
     * liveness crops there and lets go of the frame, only for the faces kept, not every face seen.
     */
    private readonly keep: (face: F) => F = (face) => face,
  ) {}

  get active(): number {
    return this.tracks.length;
  }

  /** Tracks holding a best shot not yet released. */
  get held(): number {
    return this.tracks.filter((t) => t.best).length;
  }

  /** One frame's faces at frame time `time` (ms); returns the shots due now. */
  update(time: number, faces: readonly F[]): Shot<F>[] {
    // Tracks unseen for too long end first, so that a new face where an old one was starts its own track.
    const due: Shot<F>[] = this.tracks.flatMap((track) =>
      time - track.lastSeen > this.options.maxGapMs && track.best ? [this.shot(track)] : [],
    );
    this.tracks = this.tracks.filter((track) => time - track.lastSeen <= this.options.maxGapMs);
    const pairs = this.tracks
      .flatMap((track, t) => faces.map((face, f) => ({ t, f, overlap: iou(track.box, face.box) })))
      .filter((p) => p.overlap >= this.options.minIou)
      .sort((a, b) => b.overlap - a.overlap);
    const takenTracks = new Set<number>();
    const takenFaces = new Set<number>();
    for (const { t, f } of pairs) {
      if (takenTracks.has(t) || takenFaces.has(f)) continue;
      takenTracks.add(t);
      takenFaces.add(f);
      this.observe(this.tracks[t] as Track<F>, faces[f] as F, time);
    }
    faces.forEach((face, f) => {
      if (takenFaces.has(f)) return;
      const track: Track<F> = {
        id: randomUUID(),
        box: face.box,
        lastSeen: time,
        windowStart: time,
        samples: [],
        lastSample: Number.NEGATIVE_INFINITY,
      };
      this.tracks.push(track);
      this.observe(track, face, time);
    });
    for (const track of this.tracks) {
      if (track.best && time - track.windowStart >= this.options.intervalMs) {
        due.push(this.shot(track));
        delete track.best;
        track.windowStart = time;
      }
    }
    return due;
  }

  /** End of the stream: every track ends and releases its pending best shot. */
  flush(): Shot<F>[] {
    const due = this.tracks.flatMap((track) => (track.best ? [this.shot(track)] : []));
    this.tracks = [];
    return due;
  }

  private shot(track: Track<F>): Shot<F> {
    return { ...(track.best as Omit<Shot<F>, "samples">), samples: [...track.samples] };
  }

  private observe(track: Track<F>, face: F, time: number): void {
    track.box = face.box;
    track.lastSeen = time;
    let kept: F | undefined;
    const held = () => {
      kept ??= this.keep(face);
      return kept;
    };
    if (!track.best || this.quality(face) > this.quality(track.best.face)) track.best = { trackId: track.id, face: held(), time };
    const keep = this.options.samples ?? 0;
    if (keep > 0 && time - track.lastSample >= (this.options.sampleEveryMs ?? 0)) {
      track.samples.push(held());
      if (track.samples.length > keep) track.samples.shift();
      track.lastSample = time;
    }
  }
}
