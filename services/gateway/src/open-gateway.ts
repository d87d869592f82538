import { join } from "node:path";
import { AuditLog } from "@facerec/audit";
import { ApiKeyStore } from "@facerec/auth";
import type { Gallery } from "@facerec/gallery";
import { engineConfigFromEnv, type Jobs, openProductGallery } from "@facerec/pipeline";
import { FaceEngine } from "@facerec/vision";
import { LocalMatchFeed, type MatchFeed } from "./match-feed.js";
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
 * pack's calibrated thresholds (vectors in Qdrant when QDRANT_URL is set; crops kept when
 * FACEREC_RETAIN_CROPS=1), the audit trail and the API keys. `pnpm start` and the gateway's tests
 * open the product the same way through here.
 */
export async function openEmbedded(
  data: string,
  options: { feed?: MatchFeed; jobs?: { queue: Jobs; importRoot: string } } = {},
): Promise<Embedded> {
  const engine = await FaceEngine.create(engineConfigFromEnv());
  const gallery = await openProductGallery(data, engine);
  const audit = AuditLog.open(join(data, "audit"));
  const keys = ApiKeyStore.open(join(data, "keys"));
  return {
    engine,
    gallery,
    audit,
    keys,
    recognition: new Recognition(engine, gallery, audit, options.feed ?? new LocalMatchFeed(), options.jobs),
    async close() {
      await gallery.close();
      audit.close();
      keys.close();
    },
  };
}
