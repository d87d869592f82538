export { buildNotice, type NoticeRate, ratesOf, readEvidence, type TransparencyNotice } from "./notice.js";
export { checkPolicy, DEFAULT_TENANT_POLICY, PolicyError, type PolicyVersion, type TenantPolicy } from "./policy.js";
export { FilePolicyStore, PgPolicyStore, type PolicyStore } from "./policy-store.js";
