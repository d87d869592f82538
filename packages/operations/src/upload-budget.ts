import { OverloadedError } from "./errors.js";

/**
 * Request bodies in flight, reserved before they are read: bounded for the process and, inside that,
 * for each tenant, so that one tenant holding uploads open (slow or idle senders) slows only itself.
 * Both transports reserve here after the caller is authenticated, so only a known tenant holds bytes.
 */
export class UploadBudget {
  private total = 0;
  private readonly held = new Map<string, number>();

  constructor(private readonly bounds: { process: number; tenant: number }) {}

  /**
   * Reserve `bytes` for `tenant`; the function that gives them back (once), which also takes a smaller
   * size to keep (once a body's real size is known). Refuses when either bound is full.
   */
  reserve(tenant: string, bytes: number): (keep?: number) => void {
    const mine = this.held.get(tenant) ?? 0;
    if (mine + bytes > this.bounds.tenant)
      throw new OverloadedError("this tenant's uploads in progress are at its share of the gateway; retry shortly");
    if (this.total + bytes > this.bounds.process) throw new OverloadedError("the gateway is at capacity; retry shortly");
    this.total += bytes;
    this.held.set(tenant, mine + bytes);
    let holding = bytes;
    return (keep = 0) => {
      const back = holding - Math.min(keep, holding);
      holding -= back;
      this.total -= back;
      const left = (this.held.get(tenant) ?? back) - back;
      if (left > 0) this.held.set(tenant, left);
      else this.held.delete(tenant);
    };
  }
}
