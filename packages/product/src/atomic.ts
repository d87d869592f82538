/**
 * Runs a change and its audit entry as one transaction (ProductState.atomic): PostgreSQL's, or with
 * local files the journal's, which also keeps a purge from rewriting a log under a change that holds
 * writes to it.
 */
export type Atomic = <T>(work: () => Promise<T>) => Promise<T>;

/** No transaction: for a caller that has none (a test on a bare store). */
export const direct: Atomic = (work) => work();
