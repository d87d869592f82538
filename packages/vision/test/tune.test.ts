import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeWithShared } from "@facerec/testkit";
import { expect, it } from "vitest";
import { FaceEngine, ModelCatalogue, TUNED_LEVELS, tunedEmbedderSession } from "../src/index.js";

describeWithShared("the embedder's graph level, chosen on this machine", () => {
  it("measures each level once, keeps the fastest, and reads it back from the cache", async () => {
    const model = ModelCatalogue.builtIn().resolve("embedder");
    const file = join(mkdtempSync(join(tmpdir(), "tuning-")), "tuning.json");
    const options = { intraOpThreads: 1, dynamicBatch: true };
    const first = await tunedEmbedderSession(model, options, 2, file);
    expect(first.tuning.source).toBe("measured");
    const rates = first.tuning.facesPerSecond;
    expect(Object.keys(rates).sort()).toEqual([...TUNED_LEVELS].sort());
    const fastest = TUNED_LEVELS.reduce((a, b) => ((rates[a] ?? 0) >= (rates[b] ?? 0) ? a : b));
    expect(first.tuning.graphOptimization).toBe(fastest);
    const again = await tunedEmbedderSession(model, options, 2, file);
    expect(again.tuning).toEqual({ ...first.tuning, source: "cache" });
    // Another batch is another measurement; a damaged cache file is measured again, not an error.
    expect((await tunedEmbedderSession(model, options, 1, file)).tuning.source).toBe("measured");
    writeFileSync(file, "{ not json");
    expect((await tunedEmbedderSession(model, options, 2, file)).tuning.source).toBe("measured");
    for (const s of [first, again]) await s.session.release();
  });

  it("takes the level it is given instead, and says it did not choose", async () => {
    const engine = await FaceEngine.create({ liveness: "none", session: { graphOptimization: "basic" } });
    expect(engine.tuning).toBeUndefined();
  });
});
