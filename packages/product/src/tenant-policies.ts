import { type Gallery, type GlobalThreshold, subjectTailOf, thresholdForTarget } from "@facerec/gallery";
import { mayIdentify, type PolicyStore, type PolicyVersion, type TargetFmr, type TenantPolicy } from "@facerec/privacy";

/**
 * How long a process trusts a policy it read before reading it again. A change made through one
 * gateway holds there at once and on every other replica within this. @default 5000 ms
 */
export const POLICY_CACHE_MS = 5000;

/** The embedder's calibrated thresholds (`fmr_1e-3`, `subject_fmr_1e-3`, ...), by which a target rate is met. */
export interface CalibratedEmbedder {
  id: string;
  model: { thresholds?: Record<string, number> };
}

/**
 * The global threshold a target calls for. With the pack's subject tail it is set for the gallery's size,
 * so that a stranger is named at the target rate (FPIR) however many people are enrolled; a pack
 * without one gives the per-comparison `fmr_<target>`, whose FPIR grows with the gallery.
 */
export function thresholdAtTarget(embedder: CalibratedEmbedder, target: TargetFmr): GlobalThreshold {
  const tail = subjectTailOf(embedder.model.thresholds);
  if (tail) return (subjects) => thresholdForTarget(tail, Number(target), subjects);
  const value = embedder.model.thresholds?.[`fmr_${target}`];
  if (value === undefined) throw new RangeError(`the embedder ${embedder.id} has no threshold calibrated at ${target}`);
  return value;
}

/**
 * The tenants' policies as a deciding process uses them: read through a short cache, each new
 * version's target false-match rate applied to the gallery's threshold for the tenant, and the cameras
 * it may identify at.
 */
export class TenantPolicies {
  private readonly cache = new Map<string, { at: number; version: PolicyVersion }>();

  constructor(
    readonly store: PolicyStore,
    private readonly gallery: Gallery,
    private readonly embedder: CalibratedEmbedder,
    private readonly ttlMs = POLICY_CACHE_MS,
  ) {}

  /** The threshold a policy's target calls for, undefined for the deployment's; an error when the pack has none. */
  thresholdFor(policy: TenantPolicy): GlobalThreshold | undefined {
    const target = policy.thresholds.targetFmr;
    return target === null ? undefined : thresholdAtTarget(this.embedder, target);
  }

  /** The tenant's policy in force, its threshold applied to the gallery. */
  async current(tenant: string): Promise<PolicyVersion> {
    const held = this.cache.get(tenant);
    if (held && Date.now() - held.at < this.ttlMs) return held.version;
    return this.adopt(await this.store.current(tenant));
  }

  /** Set a new version; this process follows it at once. */
  async set(tenant: string, policy: TenantPolicy, setBy: string): Promise<PolicyVersion> {
    this.thresholdFor(policy);
    return this.adopt(await this.store.set(tenant, policy, setBy));
  }

  /** Whether faces from `camera` may be identified for the tenant (its thresholds applied for the decision). */
  async mayIdentify(tenant: string, camera: string): Promise<boolean> {
    return mayIdentify((await this.current(tenant)).policy, camera);
  }

  private adopt(version: PolicyVersion): PolicyVersion {
    const before = this.cache.get(version.tenant)?.version;
    this.cache.set(version.tenant, { at: Date.now(), version });
    if (before?.version !== version.version) {
      this.gallery.setGlobalThreshold(version.tenant, this.embedder.id, this.thresholdFor(version.policy));
    }
    return version;
  }
}
