import type { Database } from "./postgres.js";

/**
 * How often a replica reads the change table even without a notification (ms). Notifications arrive
 * within milliseconds of a commit; the poll bounds the delay when one is lost (the listener was
 * reconnecting), so an enrolment, erasure or key revocation holds on every replica within this.
 * @default 1000
 */
export const DEFAULT_POLL_MS = 1000;

/** A replica's view of other writers' changes: `sync` catches up at once. */
export interface Watch {
  sync(): Promise<void>;
  stop(): void;
}

/** For stores with one writer (local files): nothing changes behind the process's back. */
export const NO_WATCH: Watch = { sync: async () => {}, stop: () => {} };

/**
 * Keeps one replica's copy of a change kind current: runs `catchUp` on every notification, on every
 * reconnection of the listener and every `pollMs`, never two at once, coalescing the triggers that
 * arrive while one runs into one more run. A failed run (the database away) is reported and retried
 * on the next trigger.
 */
export class Follower implements Watch {
  private tail: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly db: Database,
    private readonly kind: string,
    private readonly catchUp: () => Promise<void>,
    private readonly options: { pollMs?: number; onError?: (error: unknown) => void } = {},
  ) {}

  start(): void {
    const run = () => void this.sync().catch(() => {});
    this.unlisten = this.db.listen(this.kind, run, run);
    this.timer = setInterval(run, this.options.pollMs ?? DEFAULT_POLL_MS);
    this.timer.unref();
  }

  /** Catch up now (after any run in progress) and resolve when done; rejects when the run failed. */
  sync(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.tail.then(() => {
      this.queued = undefined;
      return this.catchUp();
    });
    this.queued = next;
    // A failed run is retried on the next trigger; it is reported, never dropped silently.
    this.tail = next.catch((error) =>
      this.options.onError
        ? this.options.onError(error)
        : process.emitWarning(`catching up on ${this.kind} changes failed: ${error}`),
    );
    return next;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.unlisten?.();
  }
}
