export { buildNotice, fmrRate, type NoticeRate, ratesOf, readEvidence, type TransparencyNotice } from "./notice.js";
export {
  checkPolicy,
  DEFAULT_TENANT_POLICY,
  LIVENESS_POLICIES,
  type LivenessPolicy,
  mayIdentify,
  PolicyError,
  type PolicyVersion,
  TARGET_FMRS,
  type TargetFmr,
  type TenantPolicy,
} from "./policy.js";
export { FilePolicyStore, PgPolicyStore, type PolicyStore } from "./policy-store.js";
