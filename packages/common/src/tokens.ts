/**
 * The one rule for names that travel as NATS subject tokens, folder names and metric labels: tenants
 * and cameras. Letters, digits, `_` and `-`, 1 to 64 of them: no dots, wildcards, spaces or separators.
 */
export const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

/** `value` when it is a valid token, else a RangeError naming what it was meant to be. */
export function token(kind: string, value: string): string {
  if (!TOKEN.test(value)) {
    throw new RangeError(`${kind} "${value.slice(0, 80)}" must be 1-64 letters, digits, _ or - (no dots or spaces)`);
  }
  return value;
}
