import { randomUUID } from "node:crypto";
import type { Webhook } from "../src/index.js";

/** A webhook of `tenant` to `url`, following every decision unless `filters` say otherwise. */
export const hook = (tenant: string, url: string, filters: Partial<Webhook> = {}): Webhook => ({
  id: randomUUID().replaceAll("-", "").slice(0, 16),
  tenant,
  url,
  outcomes: [],
  cameras: [],
  subjects: [],
  secret: `whsec_${randomUUID()}`,
  createdAt: new Date().toISOString(),
  ...filters,
});
