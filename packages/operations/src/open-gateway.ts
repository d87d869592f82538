import { join } from "node:path";
import type { AuditTrail } from "@facerec/audit";
import type { ApiKeyStore } from "@facerec/auth";
import type { Gallery } from "@facerec/gallery";
import { type DeliveryQueue, DestinationPolicy, WebhookDispatcher } from "@facerec/notify";
import type { Jobs } from "@facerec/pipeline";
import { LIVENESS_POLICIES, type LivenessPolicy } from "@facerec/privacy";
import { openProductState, type ProductState, reviewPolicyFromEnv, TenantPolicies, webhookDeliveryData } from "@facerec/product";
import { engineConfigFromEnv } from "@facerec/runtime";
import { CHALLENGE_ACTIONS, type ChallengeAction, FaceEngine } from "@facerec/vision";
import type { ChallengeOptions } from "./challenge.js";
import type { Notifier } from "./context.js";
import type { Limits } from "./limits.js";
import { LocalMatchFeed, type MatchFeed } from "./match-feed.js";
import { Recognition } from "./recognition.js";
import { jobRecordData } from "./units/jobs.js";

/**
 * The liveness policy from FACEREC_LIVENESS_POLICY (required, advisory or off; default required) and
 * FACEREC_LIVENESS_CAMERAS, per camera where it differs ("archive=off,lobby=advisory").
 */
export function livenessFromEnv(env: NodeJS.ProcessEnv): { policy: LivenessPolicy; cameras: Record<string, LivenessPolicy> } {
  const check = (name: string, value: string): LivenessPolicy => {
    if (!LIVENESS_POLICIES.includes(value as LivenessPolicy)) {
      throw new RangeError(`${name}: "${value}" is not one of ${LIVENESS_POLICIES.join(", ")}`);
    }
    return value as LivenessPolicy;
  };
  const policy = check("FACEREC_LIVENESS_POLICY", env.FACEREC_LIVENESS_POLICY || "required");
  const cameras: Record<string, LivenessPolicy> = {};
  for (const pair of (env.FACEREC_LIVENESS_CAMERAS ?? "").split(",").filter(Boolean)) {
    const [camera = "", value = ""] = pair.split("=");
    cameras[camera.trim()] = check(`FACEREC_LIVENESS_CAMERAS (${camera})`, value.trim());
  }
  return { policy, cameras };
}

/**
 * The active liveness check's settings from the environment: FACEREC_CHALLENGE_ACTIONS (a comma
 * list of CHALLENGE_ACTIONS) and FACEREC_CHALLENGE_STEPS (actions asked per challenge).
 */
export function challengeFromEnv(env: NodeJS.ProcessEnv): Partial<ChallengeOptions> {
  const out: Partial<ChallengeOptions> = {};
  if (env.FACEREC_CHALLENGE_ACTIONS) {
    const actions = env.FACEREC_CHALLENGE_ACTIONS.split(",").map((a) => a.trim());
    for (const a of actions) {
      if (!CHALLENGE_ACTIONS.includes(a as ChallengeAction))
        throw new RangeError(`FACEREC_CHALLENGE_ACTIONS: "${a}" is not one of ${CHALLENGE_ACTIONS.join(", ")}`);
    }
    out.actions = actions as ChallengeAction[];
  }
  if (env.FACEREC_CHALLENGE_STEPS) {
    const steps = Number(env.FACEREC_CHALLENGE_STEPS);
    if (!Number.isInteger(steps) || steps < 1)
      throw new RangeError(`FACEREC_CHALLENGE_STEPS: "${env.FACEREC_CHALLENGE_STEPS}" is not a whole number from 1`);
    out.steps = steps;
  }
  return out;
}

/** FACEREC_AUDIT_RETENTION_MIN_DAYS: the shortest audit retention a tenant may set, in whole days. */
function auditFloorFromEnv(env: NodeJS.ProcessEnv): number {
  const days = Number(env.FACEREC_AUDIT_RETENTION_MIN_DAYS);
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError(
      `FACEREC_AUDIT_RETENTION_MIN_DAYS=${env.FACEREC_AUDIT_RETENTION_MIN_DAYS} is not a whole number of days from 1`,
    );
  return days;
}

export interface Gateway {
  engine: FaceEngine;
  gallery: Gallery;
  audit: AuditTrail;
  keys: ApiKeyStore;
  recognition: Recognition;
  /** Delivers this gateway's decisions to the tenants' webhooks. */
  webhooks: WebhookDispatcher;
  /** The state as opened (the review queue's store, for the purge). */
  state: ProductState;
  /** `postgres` (shared with every replica, DATABASE_URL) or `files` (the local folder). */
  storage: "postgres" | "files";
  close(): Promise<void>;
}

/**
 * What a gateway process opens, in either mode: the engine on the default pack and the product's
 * state (gallery with the pack's calibrated thresholds, audit trail, API keys) from PostgreSQL when
 * DATABASE_URL is set, else from the local folder `data`. `pnpm start`, the distributed gateway and
 * the gateway's tests open the product the same way through here.
 */
export async function openGateway(
  data: string,
  options: {
    feed?: MatchFeed;
    jobs?: { queue: Jobs; importRoot: string };
    limits?: Partial<Limits>;
    notifier?: Notifier;
    /** Where webhook deliveries wait: BullMQ in distributed mode. @default this process's own queue */
    webhookQueue?: DeliveryQueue;
    /** The destinations webhooks may reach. @default from the environment (FACEREC_WEBHOOK_ALLOW) */
    destinations?: DestinationPolicy;
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<Gateway> {
  const env = options.env ?? process.env;
  const liveness = livenessFromEnv(env);
  const engine = await FaceEngine.create(engineConfigFromEnv());
  const state = await openProductState(data, engine, env);
  const { gallery, audit, keys } = state;
  // The destinations webhooks may reach, from the environment this gateway was given.
  const destinations = options.destinations ?? DestinationPolicy.fromEnv(env);
  const webhooks = new WebhookDispatcher(state.webhooks, options.webhookQueue, { destinations });
  if (options.jobs) state.personalData.register(jobRecordData(options.jobs.queue));
  state.personalData.register(webhookDeliveryData(webhooks.queue));
  const recognition = new Recognition(engine, gallery, audit, keys, {
    feed: options.feed ?? new LocalMatchFeed(),
    ...(options.jobs ? { jobs: options.jobs } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.notifier ? { notifier: options.notifier } : {}),
    liveness,
    challenge: { ...challengeFromEnv(env), store: state.challenges },
    webhooks,
    review: { store: state.review, policy: reviewPolicyFromEnv(env) },
    personalData: state.personalData,
    atomic: (work) => state.atomic(work),
    ...(state.heldWrites ? { heldWrites: state.heldWrites } : {}),
    ...(state.journal ? { journal: state.journal } : {}),
    // The evaluation outputs the transparency notice quotes: FACEREC_EVIDENCE, or `evidence` in the data folder.
    privacy: {
      policies: new TenantPolicies(state.policies, gallery, engine.embedder),
      evidenceDir: env.FACEREC_EVIDENCE ?? join(data, "evidence"),
      ...(env.FACEREC_AUDIT_RETENTION_MIN_DAYS ? { auditRetentionFloorDays: auditFloorFromEnv(env) } : {}),
    },
  });
  return {
    engine,
    gallery,
    audit,
    keys,
    storage: state.storage,
    webhooks,
    state,
    recognition,
    async close() {
      await recognition.close();
      await webhooks.queue.close();
      await state.close();
    },
  };
}
