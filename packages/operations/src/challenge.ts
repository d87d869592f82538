import { randomInt } from "node:crypto";
import { CHALLENGE_ACTIONS, type ChallengeAction, DEFAULT_JUDGE, type JudgeOptions } from "@facerec/vision";

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
   * Challenges open at once (in the deployment, with PostgreSQL); past it a start is refused (429)
   * until some finish or expire. @default 1000: each holds a few kilobytes of poses, never its frames
   */
  maxOpen: number;
  /**
   * One tenant's share of the open challenges; past it that tenant's starts are refused (429) and
   * other tenants' still open. @default 250: a quarter of the deployment's
   */
  tenantOpen: number;
}

export const DEFAULT_CHALLENGE: ChallengeOptions = {
  ...DEFAULT_JUDGE,
  actions: CHALLENGE_ACTIONS,
  steps: 2,
  ttlSeconds: 60,
  maxFrames: 100,
  maxOpen: 1000,
  tenantOpen: 250,
};

/** A challenge's actions: `steps` distinct ones of the configured actions, in a random order. */
export function drawActions(options: ChallengeOptions): ChallengeAction[] {
  const pool = [...options.actions];
  return Array.from({ length: options.steps }, () => pool.splice(randomInt(pool.length), 1)[0] as ChallengeAction);
}

/** The settings checked, and narrowed to what the engine can read: blinks need the 68-point model. */
export function challengeOptions(options: Partial<ChallengeOptions>, readsEyes: boolean): ChallengeOptions {
  const o = { ...DEFAULT_CHALLENGE, ...options };
  const actions = o.actions.filter((a) => a !== "blink" || readsEyes);
  if (o.steps < 1 || o.steps > o.actions.length)
    throw new Error(`a challenge asks 1 to ${o.actions.length} actions, not ${o.steps}`);
  return { ...o, actions, steps: Math.min(o.steps, actions.length) };
}
