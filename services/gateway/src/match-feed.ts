import { EventEmitter } from "node:events";
import type { MatchEvent } from "@facerec/contracts";

/** Where match decisions go and where WatchMatches reads them: in-process here, NATS in distributed mode. */
export interface MatchFeed {
  publish(event: MatchEvent): void;
  /** Events of one tenant, of the given cameras or of every camera when the list is empty. */
  subscribe(tenant: string, cameras: readonly string[], listener: (event: MatchEvent) => void): () => void;
}

/** The embedded mode's feed: an event emitter per tenant, so one tenant never sees another's events. */
export class LocalMatchFeed implements MatchFeed {
  private readonly emitter = new EventEmitter();

  constructor(maxWatchers = 1000) {
    this.emitter.setMaxListeners(maxWatchers);
  }

  publish(event: MatchEvent): void {
    this.emitter.emit(event.tenant, event);
  }

  subscribe(tenant: string, cameras: readonly string[], listener: (event: MatchEvent) => void): () => void {
    const wanted = new Set(cameras);
    const filtered = (event: MatchEvent) => {
      if (wanted.size === 0 || wanted.has(event.camera)) listener(event);
    };
    this.emitter.on(tenant, filtered);
    return () => this.emitter.off(tenant, filtered);
  }
}
