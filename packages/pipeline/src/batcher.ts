export interface BatcherOptions {
  /** A batch is run as soon as it holds this many items. */
  maxSize: number;
  /** ...or this long after its first item arrived. */
  maxWaitMs: number;
  onError?: (error: unknown) => void;
}

/**
 * Collects items into batches of up to `maxSize`, run one at a time: a batch starts when it is full or
 * `maxWaitMs` after its first item. `add` resolves once the item's batch has been handed to `run`
 * when the batch is full, which keeps the producer from running ahead of the consumer.
 */
export class Batcher<T> {
  private pending: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Batches run, by size (index 0 unused). */
  readonly sizes: number[];

  constructor(
    private readonly options: BatcherOptions,
    private readonly run: (batch: T[]) => Promise<void>,
  ) {
    this.sizes = new Array(options.maxSize + 1).fill(0);
  }

  async add(item: T): Promise<void> {
    this.pending.push(item);
    if (this.pending.length >= this.options.maxSize) await this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.maxWaitMs);
  }

  /** Run what is pending now; resolves when every batch so far has run. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0, this.pending.length);
    if (batch.length > 0) {
      const size = Math.min(batch.length, this.options.maxSize);
      this.sizes[size] = (this.sizes[size] ?? 0) + 1;
      // `run` settles its own items; a throw is reported and does not stop the batches after it.
      this.chain = this.chain.then(() => this.run(batch)).catch((error: unknown) => this.options.onError?.(error));
    }
    return this.chain;
  }

  mean(): number {
    const batches = this.sizes.reduce((s, n) => s + n, 0);
    return batches ? this.sizes.reduce((s, n, size) => s + n * size, 0) / batches : 0;
  }
}
