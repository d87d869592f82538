import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EmbeddedIndex } from "@facerec/gallery";
import { openGateway } from "@facerec/operations";
import { gaussianNoise } from "@facerec/testkit";
import { l2normalise } from "@facerec/vision";
import { describe, expect, it } from "vitest";

describe("the embedded product's approximate index across a restart", () => {
  it("saves the tenant's graph in the data folder and loads it at the next start; erasure removes it", async () => {
    const data = mkdtempSync(join(tmpdir(), "graphs-"));
    // Graphs from 40 templates, so a small gallery has one.
    const env = { ...process.env, FACEREC_ANN_MIN_TEMPLATES: "40" };
    const noise = gaussianNoise(11);
    const vector = () => l2normalise(Float32Array.from({ length: 512 }, noise));
    const first = await openGateway(data, { env });
    const model = first.recognition.modelId;
    const filter = { tenant: "acme", model };
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const s = await first.gallery.createSubject("acme", `person ${i}`, {});
      await first.gallery.enrol("acme", s.id, model, [
        { vector: vector(), quality: 0.9 },
        { vector: vector(), quality: 0.9 },
      ]);
      ids.push(s.id);
    }
    const index = () => first.gallery.index as EmbeddedIndex;
    await index().graphsReady();
    expect(index().graphState(filter)).toBe("ready");
    await first.close();
    expect(readdirSync(join(data, "graphs")).length).toBe(2);

    const second = await openGateway(data, { env });
    const reopened = second.gallery.index as EmbeddedIndex;
    await reopened.graphsReady();
    expect(reopened.graphOrigin(filter)).toBe("snapshot");
    await second.gallery.deleteSubject("acme", ids[0] as string);
    expect(readdirSync(join(data, "graphs"))).toEqual([]);
    await second.close();
    // Closed after the erasure: saved again, without the erased person's vectors.
    expect(readdirSync(join(data, "graphs")).length).toBe(2);
  });
});
