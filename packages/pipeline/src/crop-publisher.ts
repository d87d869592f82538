import { FaceCrop, subjects } from "@facerec/contracts";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { MsgHdrs } from "@nats-io/nats-core";
import type { NatsConnection } from "@nats-io/transport-node";
import { Spool, type SpoolOptions } from "./spool.js";

interface Spooled {
  crop: FaceCrop;
  headers?: MsgHdrs;
  payload: Uint8Array;
  quality: number;
  bytes: number;
}

/**
 * Publishes crops to JetStream with the crop id as message id. While NATS cannot be reached, crops go
 * to a bounded spool, drained oldest first once publishing works again; a crop published twice (its
 * first acknowledgement lost) is dropped by the stream's duplicate window.
 */
export class CropPublisher {
  private readonly spool: Spool<Spooled>;
  private draining: Promise<void> | undefined;
  private readonly retry: NodeJS.Timeout;
  private connected = true;
  published = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    spool: SpoolOptions,
    private readonly timeoutMs = 2000,
  ) {
    this.spool = new Spool(spool);
    this.retry = setInterval(() => this.drain(), 1000);
    this.retry.unref();
    void this.follow();
  }

  /** Track the connection so that crops go straight to the spool during an outage, not after a timeout. */
  private async follow(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === "disconnect") this.connected = false;
      if (status.type === "reconnect") {
        this.connected = true;
        void this.drain();
      }
    }
  }

  get spooled(): number {
    return this.spool.length;
  }

  get spooledBytes(): number {
    return this.spool.bytes;
  }

  get dropped(): number {
    return this.spool.dropped;
  }

  /** `headers` (the trace context) travel with the crop, through the spool too. */
  async publish(crop: FaceCrop, headers?: MsgHdrs): Promise<"published" | "spooled"> {
    const payload = FaceCrop.encode(crop).finish();
    const item = { crop, payload, quality: crop.quality, bytes: payload.length, ...(headers ? { headers } : {}) };
    // Behind a backlog, a new crop waits its turn so that the stream receives crops oldest first.
    if (this.spool.length > 0 || !this.connected) {
      this.spool.push(item);
      if (this.connected) void this.drain();
      return "spooled";
    }
    try {
      await this.send(item);
      return "published";
    } catch {
      this.spool.push(item);
      return "spooled";
    }
  }

  /** Try to empty the spool now; resolves when this attempt ends (emptied or failed again). */
  drain(): Promise<void> {
    if (!this.connected) return Promise.resolve();
    this.draining ??= this.spool
      .drain((item) => this.send(item))
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.draining = undefined;
      });
    return this.draining;
  }

  private async send(item: Spooled): Promise<void> {
    await this.js.publish(subjects.crop(item.crop.tenant, item.crop.camera), item.payload, {
      msgID: item.crop.cropId,
      timeout: this.timeoutMs,
      ...(item.headers ? { headers: item.headers } : {}),
    });
    this.published++;
  }

  close(): void {
    clearInterval(this.retry);
  }
}
