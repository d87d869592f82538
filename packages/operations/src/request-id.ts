import { randomUUID } from "node:crypto";

/** What a caller's request id may be: short and safe to log and to store in the audit trail. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export const isRequestId = (given: unknown): given is string => typeof given === "string" && REQUEST_ID.test(given);

/**
 * The caller's `x-request-id` when it is a safe token (so that logs and audit entries line up across
 * services), else a fresh id: anything else a caller sends there is ignored, never stored.
 */
export function requestIdFrom(given: unknown): string {
  return isRequestId(given) ? given : randomUUID();
}
