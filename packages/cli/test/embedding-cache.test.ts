import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeWithShared, LFW } from "@facerec/testkit";
import { FaceEngine } from "@facerec/vision";
import { expect, it } from "vitest";
import { embedFiles } from "../src/embed-files.js";
import { EmbeddingCache } from "../src/embedding-cache.js";

describeWithShared("embedding cache", () => {
  it("returns the vectors it stored, remembers failures to detect, and survives reopening", async () => {
    const engine = await FaceEngine.create({ liveness: "none" });
    const dir = mkdtempSync(join(tmpdir(), "emb-cache-"));
    const noFace = join(dir, "grey.png");
    const sharp = (await import("sharp")).default;
    writeFileSync(
      noFace,
      await sharp({ create: { width: 64, height: 64, channels: 3, background: "#777" } })
        .png()
        .toBuffer(),
    );
    const files = [LFW("Aaron_Peirsol", 1), LFW("Aaron_Peirsol", 2), noFace];
    const cache = new EmbeddingCache(dir, engine.pipelineKey);
    const first = await embedFiles(engine, files, 2, cache);
    expect(first.size).toBe(2);
    expect(cache.get(noFace)).toBeNull();
    cache.close();
    const reopened = new EmbeddingCache(dir, engine.pipelineKey);
    expect(Array.from(reopened.get(files[0] as string) ?? [])).toEqual(Array.from(first.get(files[0] as string) ?? []));
    const again = await embedFiles(engine, files, 2, reopened);
    expect(again.size).toBe(2);
    // A file that changes on disk is embedded again, not served stale.
    writeFileSync(
      noFace,
      await sharp({ create: { width: 64, height: 65, channels: 3, background: "#777" } })
        .png()
        .toBuffer(),
    );
    expect(reopened.get(noFace)).toBeUndefined();
    reopened.close();
  });
});
