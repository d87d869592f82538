import { randomInt, randomUUID } from "node:crypto";
import { NotFoundError } from "@facerec/gallery";
import {
  CHALLENGE_ACTIONS,
  type ChallengeAction,
  DEFAULT_JUDGE,
  type FrameObservation,
  type JudgeOptions,
} from "@facerec/vision";

export interface ChallengeOptions extends JudgeOptions {
  /**
   * The actions a challenge draws from. A deployment whose users cannot turn (a fixed kiosk camera)
   * may leave turns out; blinks need the 68-point landmark model. @default all three
   */
  actions: readonly ChallengeAction[];
  /**
   * Actions asked in one challenge, distinct and in a random order. @default 2: of three actions that
   * is one order in six, so a recording of one answer is unlikely to fit the next challenge
   */
  steps: number;
  /** @default 60 s from start to result: room for a slow upload, none for a second attempt */
  ttlSeconds: number;
  /** @default 100 frames a challenge: 20 s at the console's 5 frames a second */
  maxFrames: number;
  /**
   * Challenges open at once in this process; past it a start is refused (429) until some finish or
   * expire. @default 1000: each holds a few kilobytes of poses, never its frames
   */
  maxOpen: number;
}

export const DEFAULT_CHALLENGE: ChallengeOptions = {
  ...DEFAULT_JUDGE,
  actions: CHALLENGE_ACTIONS,
  steps: 2,
  ttlSeconds: 60,
  maxFrames: 100,
  maxOpen: 1000,
};

/** An open challenge: what was asked, of which tenant, and what its frames showed so far. */
export interface Challenge {
  id: string;
  tenant: string;
  actions: ChallengeAction[];
  expiresAt: number;
  frames: FrameObservation[];
}

/**
 * The open challenges of this process, each reachable only by its own tenant, bounded in number and
 * in frames, gone once judged or expired. State is in memory: in a deployment of several gateways a
 * challenge's calls must reach the gateway that started it (session affinity), as the README says.
 */
export class ChallengeBook {
  private readonly open = new Map<string, Challenge>();

  constructor(readonly options: ChallengeOptions = DEFAULT_CHALLENGE) {
    if (options.steps < 1 || options.steps > options.actions.length)
      throw new Error(`a challenge asks 1 to ${options.actions.length} actions, not ${options.steps}`);
  }

  /** A new challenge with `steps` distinct actions in random order, or undefined when too many are open. */
  start(tenant: string, now = Date.now()): Challenge | undefined {
    for (const [id, c] of this.open) if (c.expiresAt <= now) this.open.delete(id);
    if (this.open.size >= this.options.maxOpen) return undefined;
    const pool = [...this.options.actions];
    const actions = Array.from(
      { length: this.options.steps },
      () => pool.splice(randomInt(pool.length), 1)[0] as ChallengeAction,
    );
    const challenge = { id: randomUUID(), tenant, actions, expiresAt: now + this.options.ttlSeconds * 1000, frames: [] };
    this.open.set(challenge.id, challenge);
    return challenge;
  }

  /** The tenant's open challenge; another tenant's is not found, as if there were none. */
  find(tenant: string, id: string, now = Date.now()): Challenge {
    const c = this.open.get(id);
    if (!c || c.tenant !== tenant) throw new NotFoundError(`no open challenge ${id.slice(0, 64)}`);
    if (c.expiresAt <= now) {
      this.open.delete(id);
      throw new NotFoundError(`challenge ${id} expired; start another`);
    }
    return c;
  }

  /** Closes a challenge: a result is given once. */
  close(id: string): void {
    this.open.delete(id);
  }

  get size(): number {
    return this.open.size;
  }
}
