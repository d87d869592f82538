/** A one-line progress bar on stderr when it is a terminal; silent otherwise (logs and pipes stay clean). */
export class Progress {
  private done = 0;
  private readonly started = Date.now();
  private readonly enabled: boolean;
  private lastDraw = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    enabled = process.stderr.isTTY === true,
  ) {
    this.enabled = enabled;
  }

  tick(n = 1): void {
    this.done += n;
    const now = Date.now();
    if (!this.enabled || (now - this.lastDraw < 100 && this.done < this.total)) return;
    this.lastDraw = now;
    const width = 30;
    const filled = Math.round((this.done / this.total) * width);
    const elapsed = (now - this.started) / 1000;
    const rate = this.done / Math.max(elapsed, 1e-3);
    const eta = rate > 0 ? (this.total - this.done) / rate : 0;
    process.stderr.write(
      `\r${this.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${this.done}/${this.total} ${rate.toFixed(1)}/s eta ${eta.toFixed(0)}s `,
    );
    if (this.done >= this.total) process.stderr.write("\n");
  }
}

/** Map over items with at most `concurrency` calls in flight, keeping order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
