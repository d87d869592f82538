import { randomUUID } from "node:crypto";
import { type Box, iou } from "@facerec/vision";

export interface TrackerOptions {
  /** Smallest overlap (intersection over union) for a face to continue a track. */
  minIou: number;
  /** A track publishes its best shot at most once per interval. */
  intervalMs: number;
  /** A track not seen for this long has ended (its best shot, if any, is published). */
  maxGapMs: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = { minIou: 0.3, intervalMs: 2000, maxGapMs: 1000 };

export interface Shot<F> {
  trackId: string;
  face: F;
  /** Frame time of the shot, in ms. */
  time: number;
}

interface Track<F> {
  id: string;
  box: Box;
  lastSeen: number;
  windowStart: number;
  best?: Shot<F>;
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
      time - track.lastSeen > this.options.maxGapMs && track.best ? [track.best] : [],
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
      const track: Track<F> = { id: randomUUID(), box: face.box, lastSeen: time, windowStart: time };
      this.tracks.push(track);
      this.observe(track, face, time);
    });
    for (const track of this.tracks) {
      if (track.best && time - track.windowStart >= this.options.intervalMs) {
        due.push(track.best);
        delete track.best;
        track.windowStart = time;
      }
    }
    return due;
  }

  /** End of the stream: every track ends and releases its pending best shot. */
  flush(): Shot<F>[] {
    const due = this.tracks.flatMap((track) => (track.best ? [track.best] : []));
    this.tracks = [];
    return due;
  }

  private observe(track: Track<F>, face: F, time: number): void {
    track.box = face.box;
    track.lastSeen = time;
    if (!track.best || this.quality(face) > this.quality(track.best.face)) track.best = { trackId: track.id, face, time };
  }
}
