import type { Principal } from "@facerec/auth";
import type { MatchEvent } from "@facerec/contracts";
import type { OperationContext } from "../context.js";
import { OPERATIONS } from "../declarations.js";
import { BadRequestError, RateLimitError, UnavailableError } from "../errors.js";

/** Cameras one match stream may name; a site with more follows them all with an empty list. */
const MAX_CAMERAS = 100;

/** One slot of `key` back; a key holding none leaves the map. */
function giveBack(held: Map<string, number>, key: string): void {
  const left = (held.get(key) ?? 1) - 1;
  if (left > 0) held.set(key, left);
  else held.delete(key);
}

/** Match streams: follow the tenant's decisions as they are made, a bounded number per key. */
export function streamOperations(ctx: OperationContext) {
  const open = new Map<string, number>();
  const perTenant = new Map<string, number>();
  return {
    /** Follow the tenant's match decisions as they are made; resolves with the function that stops following. */
    watchMatches: ctx.operation(
      "watchMatches",
      async (call, cameras: readonly string[], listener: (event: MatchEvent) => void): Promise<() => void> => {
        const feed = ctx.options.feed;
        if (!feed) throw new UnavailableError("this gateway has no match feed");
        if (cameras.length > MAX_CAMERAS) throw new BadRequestError(`follow at most ${MAX_CAMERAS} cameras in one stream`);
        for (const camera of cameras) ctx.checkCamera(camera);
        const { keyId } = call.principal;
        const held = open.get(keyId) ?? 0;
        if (held >= ctx.limits.streamsPerKey) {
          throw new RateLimitError(`this key already has ${held} match streams open; close one first`, 1);
        }
        const tenantHeld = perTenant.get(call.tenant) ?? 0;
        if (tenantHeld >= ctx.limits.streamsPerTenant) {
          throw new RateLimitError(`this tenant already has ${tenantHeld} match streams open; close one first`, 1);
        }
        // The slot is taken before the audit entry is awaited and given back if that fails, so a
        // client that leaves meanwhile cannot leak it.
        open.set(keyId, held + 1);
        perTenant.set(call.tenant, tenantHeld + 1);
        let stopped = false;
        const release = () => {
          if (stopped) return;
          stopped = true;
          giveBack(open, keyId);
          giveBack(perTenant, call.tenant);
        };
        try {
          await call.record("started");
        } catch (error) {
          release();
          throw error;
        }
        const unsubscribe = feed.subscribe(call.tenant, cameras, listener);
        return () => {
          if (stopped) return;
          unsubscribe();
          release();
        };
      },
    ),

    /** A stream whose reader fell behind by more than the backlog limit was ended: audited as a refusal. */
    streamDropped: async (p: Principal, requestId: string): Promise<void> => {
      await ctx.record(p, OPERATIONS.watchMatches.audit, "dropped-slow-reader", Date.now(), {}, requestId);
    },
  };
}
