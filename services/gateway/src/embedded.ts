import { join } from "node:path";
import { AuditLog } from "@facerec/audit";
import { ApiKeyStore } from "@facerec/auth";
import { DEFAULT_POLICY, DEFAULT_THRESHOLD_OPTIONS, Gallery } from "@facerec/gallery";
import { FaceEngine } from "@facerec/vision";
import { LocalMatchFeed } from "./match-feed.js";
import { Recognition } from "./recognition.js";

export interface Embedded {
  engine: FaceEngine;
  gallery: Gallery;
  audit: AuditLog;
  keys: ApiKeyStore;
  recognition: Recognition;
  close(): Promise<void>;
}

/**
 * Everything one process needs on a local folder: the engine on the default pack, the gallery with the
 * pack's calibrated thresholds, the audit trail and the API keys. `pnpm start` and the gateway's tests
 * open the product the same way through here.
 */
export async function openEmbedded(data: string): Promise<Embedded> {
  const engine = await FaceEngine.create({});
  const global = engine.embedder.model.thresholds?.["fmr_1e-3"];
  if (global === undefined) {
    throw new Error(`the embedder ${engine.embedder.id} has no calibrated fmr_1e-3 threshold in its manifest`);
  }
  // The liveness gate sits at the pack's calibrated APCER-5% threshold where there is one.
  const minLiveness = engine.liveness?.model.thresholds?.["apcer_5e-2"] ?? DEFAULT_POLICY.minLiveness;
  const gallery = await Gallery.open({
    dir: join(data, "gallery"),
    dims: engine.embedder.dims,
    thresholds: { ...DEFAULT_THRESHOLD_OPTIONS, global },
    policy: { minLiveness },
  });
  const audit = AuditLog.open(join(data, "audit"));
  const keys = ApiKeyStore.open(join(data, "keys"));
  return {
    engine,
    gallery,
    audit,
    keys,
    recognition: new Recognition(engine, gallery, audit, new LocalMatchFeed()),
    async close() {
      await gallery.close();
      audit.close();
      keys.close();
    },
  };
}
