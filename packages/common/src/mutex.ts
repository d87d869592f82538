/**
 * Runs one piece of work at a time, in arrival order; a failed piece does not stop the next. The
 * gallery's writes and the transaction journal's changes both queue on one.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => {});
    return next;
  }
}
