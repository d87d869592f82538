import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { FaceCrop, subjects } from "@facerec/contracts";
import { writeDurably } from "@facerec/storage";
import type { JetStreamClient } from "@nats-io/jetstream";
import { type MsgHdrs, headers as natsHeaders } from "@nats-io/nats-core";
import type { NatsConnection } from "@nats-io/transport-node";
import { Spool, type SpoolOptions } from "./spool.js";

interface Spooled {
  crop: FaceCrop;
  headers?: MsgHdrs;
  payload: Uint8Array;
  quality: number;
  bytes: number;
  /** Its copy on disk, when the spool has a folder. */
  file?: string;
}

/**
 * The spool's copy on disk: one file a crop (its trace headers as a JSON line, then the encoded
 * FaceCrop), written aside, fsync'd and renamed in, so a file is whole or absent; named in spooling
 * order so that a restart sends them oldest first.
 */
class SpoolFolder {
  private next = Date.now() * 1000;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) if (f.endsWith(".tmp")) rmSync(join(dir, f), { force: true });
  }

  save(item: Spooled): string {
    const name = `${String(this.next++).padStart(20, "0")}.crop`;
    const head: Record<string, string[]> = {};
    for (const k of item.headers?.keys() ?? []) head[k] = item.headers?.values(k) ?? [];
    writeDurably(join(this.dir, name), Buffer.concat([Buffer.from(`${JSON.stringify(head)}\n`), item.payload]));
    return name;
  }

  remove(file: string): void {
    rmSync(join(this.dir, file), { force: true });
  }

  /** What an earlier run spooled and did not send, oldest first. */
  load(): Spooled[] {
    const items: Spooled[] = [];
    for (const file of readdirSync(this.dir)
      .filter((f) => f.endsWith(".crop"))
      .sort()) {
      const bytes = readFileSync(join(this.dir, file));
      const newline = bytes.indexOf(10);
      try {
        const head = JSON.parse(bytes.subarray(0, newline).toString()) as Record<string, string[]>;
        const payload = bytes.subarray(newline + 1);
        const crop = FaceCrop.decode(payload);
        const headers = Object.keys(head).length ? natsHeaders() : undefined;
        for (const [k, values] of Object.entries(head)) for (const v of values) headers?.append(k, v);
        items.push({ crop, payload, quality: crop.quality, bytes: payload.length, file, ...(headers ? { headers } : {}) });
      } catch {
        // Not one of ours, or damaged: kept aside rather than sent or deleted.
        renameSync(join(this.dir, file), join(this.dir, `${file}.unreadable`));
      }
      this.next = Math.max(this.next, Number(file.slice(0, 20)) + 1);
    }
    return items;
  }
}

/**
 * Publishes crops to JetStream with the crop id as message id. While NATS cannot be reached, crops go
 * to a bounded spool, drained oldest first once publishing works again; a crop published twice (its
 * first acknowledgement lost) is dropped by the stream's duplicate window. With a spool folder every
 * spooled crop is on disk before it counts as spooled, so a restart (a crash, a power cut) during an
 * outage sends what was accepted; a crop leaves the folder once JetStream has acknowledged it.
 */
export class CropPublisher {
  private readonly spool: Spool<Spooled>;
  private readonly folder: SpoolFolder | undefined;
  private draining: Promise<void> | undefined;
  private readonly retry: NodeJS.Timeout;
  private connected = true;
  published = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    spool: SpoolOptions & { dir?: string },
    private readonly timeoutMs = 2000,
  ) {
    this.folder = spool.dir ? new SpoolFolder(spool.dir) : undefined;
    this.spool = new Spool(spool, (item) => {
      if (item.file) this.folder?.remove(item.file);
    });
    for (const item of this.folder?.load() ?? []) this.spool.push(item);
    this.retry = setInterval(() => this.drain(), 1000);
    this.retry.unref();
    void this.follow();
    if (this.spool.length > 0) void this.drain();
  }

  /** Keep a crop for later: on disk first when there is a folder, then in the bounded spool. */
  private keep(item: Spooled): void {
    this.spool.push(this.folder ? { ...item, file: this.folder.save(item) } : item);
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
      this.keep(item);
      if (this.connected) void this.drain();
      return "spooled";
    }
    try {
      await this.send(item);
      return "published";
    } catch {
      this.keep(item);
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
