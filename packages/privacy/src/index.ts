export {
  buildNotice,
  fmrRate,
  type NoticeRate,
  ratesOf,
  readEvidence,
  type TransparencyNotice,
  targetRate,
} from "./notice.js";
export {
  type DataSubject,
  type ErasureReceipt,
  PersonalDataRegistry,
  type PersonalDataStore,
  receiptText,
  type StoreErasure,
  type StoreExport,
} from "./personal-data.js";
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
