export interface SpoolOptions {
  /** Most items held. */
  maxItems: number;
  /** Most bytes held. */
  maxBytes: number;
}

export interface SpoolItem {
  quality: number;
  bytes: number;
}

/**
 * A bounded buffer for what could not be sent: drained oldest first; when full, the lowest-quality item
 * (the new one included) is dropped and counted, so a long outage keeps the best faces, not the first.
 */
export class Spool<T extends SpoolItem> {
  private items: T[] = [];
  private size = 0;
  dropped = 0;

  constructor(
    private readonly options: SpoolOptions,
    /** Told of every item that leaves: sent, or dropped to make room (a disk copy can go then). */
    private readonly onLeave: (item: T) => void = () => {},
  ) {}

  get length(): number {
    return this.items.length;
  }

  get bytes(): number {
    return this.size;
  }

  push(item: T): void {
    this.items.push(item);
    this.size += item.bytes;
    while (this.items.length > this.options.maxItems || this.size > this.options.maxBytes) {
      let worst = 0;
      this.items.forEach((it, i) => {
        if (it.quality < (this.items[worst] as T).quality) worst = i;
      });
      const [gone] = this.items.splice(worst, 1);
      this.size -= (gone as T).bytes;
      this.dropped++;
      this.onLeave(gone as T);
    }
  }

  /** Send items oldest first until one fails (it stays, at the front) or the spool is empty. */
  async drain(send: (item: T) => Promise<void>): Promise<number> {
    let sent = 0;
    while (this.items.length > 0) {
      const item = this.items[0] as T;
      await send(item);
      // The item may have been dropped while the send was in flight; remove it only if still there.
      const at = this.items.indexOf(item);
      if (at >= 0) {
        this.items.splice(at, 1);
        this.size -= item.bytes;
        this.onLeave(item);
      }
      sent++;
    }
    return sent;
  }
}
