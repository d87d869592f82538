import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { l2normalise } from "@facerec/common";
import type { EmbeddedIndex } from "@facerec/gallery";
import { openGateway } from "@facerec/operations";
import { gaussianNoise } from "@facerec/testkit";
import { describe, expect, it } from "vitest";

describe("the embedded product's approximate index across a restart", () => {
  it("saves the tenant's graphs in the data folder and loads them at the next start; erasure removes them", async () => {
    const data = mkdtempSync(join(tmpdir(), "graphs-"));
    // Graphs from 20 rows, so a small gallery has one over its 50 templates and one over its 25 subjects' centroids.
    const env = { ...process.env, FACEREC_ANN_MIN_TEMPLATES: "20" };
    // Each graph is saved as two files: the templates' in graphs/, the centroids' in graphs/centroids/<model>/.
    const saved = () =>
      readdirSync(join(data, "graphs"), { recursive: true })
        .map(String)
        .filter((f) => /\.(json|usearch)$/.test(f))
        .sort();
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
    await first.gallery.graphsReady();
    expect(index().graphState(filter)).toBe("ready");
    await first.close();
    const files = saved();
    expect(files).toHaveLength(4);
    expect(files.filter((f) => f.startsWith(join("centroids", encodeURIComponent(model))))).toHaveLength(2);

    const second = await openGateway(data, { env });
    const reopened = second.gallery.index as EmbeddedIndex;
    await second.gallery.graphsReady();
    expect(reopened.graphOrigin(filter)).toBe("snapshot");
    await second.gallery.deleteSubject("acme", ids[0] as string);
    expect(saved()).toEqual([]);
    await second.close();
    // Closed after the erasure: saved again, without the erased person's vectors.
    expect(saved()).toEqual(files);
  });
});
