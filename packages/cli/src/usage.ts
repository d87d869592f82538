/** A mistake in how the command was called: reported with the usage text and exit code 64. */
export class UsageError extends Error {}

/** A numeric flag's value, or `fallback` when it was not given. */
export function parseNumber(name: string, raw: unknown, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(n)) {
    throw new UsageError(`--${name} must be a number, got "${String(raw)}"`);
  }
  return n;
}
