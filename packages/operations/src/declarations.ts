import type { Scope } from "@facerec/auth";

/**
 * How an operation spends the process's budgets. `image`: its request carries images, so its body is
 * reserved from the upload budget and its image work runs under admission control. `plain`: a small
 * JSON body, never held back by uploads in flight. `stream`: holds one of the key's match streams.
 */
export type QuotaClass = "image" | "plain" | "stream";

/** What the product knows of an operation before it runs, whichever transport asks for it. */
export interface OperationSpec {
  /** The scope a key needs (an admin key has every scope). */
  scope: Scope;
  quota: QuotaClass;
  /** The word its audit entries carry: its decisions, and its refusals. */
  audit: string;
  /** Whether it changes state: refused before it starts while the audit trail cannot be written. */
  changes: boolean;
  /**
   * A change whose slow preparation (analysing images, resolving a webhook's host) must not hold the
   * transaction every other change waits behind: its implementation opens the transaction itself
   * (call.atomic) around the change and its entry. Every image operation prepares.
   */
  prepares: boolean;
}

const op = (
  scope: Scope,
  audit: string,
  changes: boolean,
  quota: QuotaClass = "plain",
  prepares = quota === "image",
): OperationSpec => ({ scope, quota, audit, changes, prepares });

/**
 * Every operation of the API, declared once. The names are the gRPC methods' (camel case); each REST
 * route names one in its options. Admission checks the key's scope from here before a request body is
 * read, and the operation units get the same declaration when they run (services/gateway's binding
 * test holds every route and method to exactly one entry).
 */
export const OPERATIONS = {
  createSubject: op("enrol", "create-subject", true),
  getSubject: op("recognise", "get-subject", false),
  // A face is more than a name: its crop needs the scope that enrols faces, as a review face's does.
  getSubjectCrop: op("enrol", "get-subject-crop", false),
  listSubjects: op("recognise", "list-subjects", false),
  updateSubject: op("enrol", "update-subject", true),
  deleteSubject: op("enrol", "delete-subject", true),
  exportSubject: op("admin", "export-subject", false),
  enroll: op("enrol", "enroll", true, "image"),
  identify: op("recognise", "identify", false, "image"),
  verify: op("recognise", "verify", false, "image"),
  feedback: op("enrol", "feedback", true, "image"),
  watchMatches: op("recognise", "watch-matches", false, "stream"),
  queryAudit: op("audit", "query-audit", false),
  verifyAudit: op("audit", "verify-audit", false),
  // Jobs other than erasure also need the admin scope: the unit asks for it by the job's kind.
  startJob: op("enrol", "job", true),
  getJob: op("recognise", "get-job", false),
  createKey: op("admin", "create-key", true),
  listKeys: op("admin", "list-keys", false),
  revokeKey: op("admin", "revoke-key", true),
  // Resolves the receiver's host first: a slow DNS answer must not stall other tenants' changes.
  createWebhook: op("admin", "create-webhook", true, "plain", true),
  listWebhooks: op("admin", "list-webhooks", false),
  deleteWebhook: op("admin", "delete-webhook", true),
  listWebhookDeliveries: op("admin", "list-webhook-deliveries", false),
  testWebhook: op("admin", "test-webhook", false),
  listReviewClusters: op("enrol", "list-review-clusters", false),
  getReviewCluster: op("enrol", "get-review-cluster", false),
  assignReviewCluster: op("enrol", "review-assign", true),
  dismissReviewCluster: op("enrol", "review-dismiss", true),
  getReviewFaceCrop: op("enrol", "get-review-face-crop", false),
  getPolicy: op("admin", "get-policy", false),
  setPolicy: op("admin", "set-policy", true),
  withdrawConsent: op("enrol", "withdraw-consent", true),
  getNotice: op("recognise", "get-notice", false),
  getStatus: op("recognise", "get-status", false),
  startChallenge: op("recognise", "liveness-challenge-start", false),
  sendChallengeFrame: op("recognise", "liveness-challenge-frame", false, "image"),
  challengeResult: op("recognise", "liveness-challenge", false),
} as const satisfies Record<string, OperationSpec>;

export type OperationName = keyof typeof OPERATIONS;

export const isOperation = (name: string): name is OperationName => Object.hasOwn(OPERATIONS, name);
