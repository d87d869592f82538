import { EventEmitter } from "node:events";
import { MatchEvent, subjects } from "@facerec/contracts";
import type { NatsConnection } from "@nats-io/transport-node";

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
    // Prefixed: a tenant named "error" would otherwise be the emitter's error event, which throws.
    this.emitter.emit(`tenant:${event.tenant}`, event);
  }

  subscribe(tenant: string, cameras: readonly string[], listener: (event: MatchEvent) => void): () => void {
    const wanted = new Set(cameras);
    const filtered = (event: MatchEvent) => {
      if (wanted.size === 0 || wanted.has(event.camera)) listener(event);
    };
    this.emitter.on(`tenant:${tenant}`, filtered);
    return () => this.emitter.off(`tenant:${tenant}`, filtered);
  }
}

/**
 * The distributed mode's feed: WatchMatches follows `faces.match.<tenant>.>` on NATS, where the
 * matchers publish; the gateway's own API identifications are published there too.
 */
export class NatsMatchFeed implements MatchFeed {
  constructor(private readonly nc: NatsConnection) {}

  publish(event: MatchEvent): void {
    this.nc.publish(subjects.match(event.tenant, event.camera), MatchEvent.encode(event).finish());
  }

  subscribe(tenant: string, cameras: readonly string[], listener: (event: MatchEvent) => void): () => void {
    const wanted = new Set(cameras);
    const sub = this.nc.subscribe(`faces.match.${subjects.token("tenant", tenant)}.>`, {
      callback: (error, msg) => {
        if (error) return;
        const event = MatchEvent.decode(msg.data);
        if (wanted.size === 0 || wanted.has(event.camera)) listener(event);
      },
    });
    return () => sub.unsubscribe();
  }
}
