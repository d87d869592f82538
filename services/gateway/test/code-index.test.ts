import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { l2normalise } from "@facerec/common";
import type { EmbeddedIndex } from "@facerec/gallery";
import { openGateway } from "@facerec/operations";
import { gaussianNoise } from "@facerec/testkit";
import { describe, expect, it } from "vitest";

describe("the embedded product's approximate index", () => {
  it("searches a large tenant through its codes, and removes graphs an earlier version saved", async () => {
    const data = mkdtempSync(join(tmpdir(), "code-index-"));
    try {
      // An earlier version's saved graph: it could hold an erased person's vector, and nothing reads it now.
      mkdirSync(join(data, "graphs", "centroids"), { recursive: true });
      writeFileSync(join(data, "graphs", "0123.usearch"), "graph");
      // Codes from 20 rows, so a small gallery has them over its 50 templates and its 25 subjects' centroids.
      const env = { ...process.env, FACEREC_ANN_MIN_TEMPLATES: "20" };
      const noise = gaussianNoise(11);
      const vector = () => l2normalise(Float32Array.from({ length: 512 }, noise));
      const gateway = await openGateway(data, { env });
      expect(existsSync(join(data, "graphs"))).toBe(false);
      const model = gateway.recognition.modelId;
      const filter = { tenant: "acme", model };
      const people: { id: string; probe: Float32Array }[] = [];
      for (let i = 0; i < 25; i++) {
        const s = await gateway.gallery.createSubject("acme", `person ${i}`, {});
        const probe = vector();
        await gateway.gallery.enrol("acme", s.id, model, [
          { vector: probe, quality: 0.9 },
          { vector: vector(), quality: 0.9 },
        ]);
        people.push({ id: s.id, probe });
      }
      await gateway.gallery.annReady();
      const index = gateway.gallery.index as EmbeddedIndex;
      expect(index.annState(filter)).toBe("ready");
      for (const p of people) expect((await index.search(p.probe, 1, filter))[0]?.subject).toBe(p.id);
      await gateway.close();
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});
