import { cosine } from "@facerec/common";
import { describeWithShared } from "@facerec/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { IndexPoint, VectorIndex } from "../src/index.js";
import { type FaceVector, knnTrainVectors } from "./faces.js";

const MODEL = "arcface512";

function points(faces: FaceVector[], tenant: string, model = MODEL): IndexPoint[] {
  return faces.map((f, i) => ({ id: `${f.person}-${i}`, tenant, model, subject: f.person, vector: f.vector }));
}

/** The behaviour every VectorIndex adapter must show, on real face embeddings. */
export function vectorIndexConformance(
  name: string,
  open: () => Promise<VectorIndex>,
  /** Resolves to a one-line reason to skip, or undefined when the backing store is there. */
  unavailable: () => Promise<string | undefined>,
  cleanup: () => Promise<void> = async () => {},
): void {
  describeWithShared(`${name} conformance`, () => {
    let index: VectorIndex;
    let faces: FaceVector[];
    let reason: string | undefined;

    beforeAll(async () => {
      reason = await unavailable();
      if (reason) return;
      faces = await knnTrainVectors();
      index = await open();
    });
    afterAll(async () => {
      if (!reason) await index.close();
      await cleanup();
    });

    const check = (title: string, body: () => Promise<void>): void => {
      it(title, async (ctx) => {
        if (reason) {
          ctx.skip(reason);
          return;
        }
        await body();
      });
    };

    check("counts what was upserted, per tenant and model", async () => {
      expect(faces.length).toBeGreaterThanOrEqual(8);
      await index.upsert(points(faces, "acme"));
      await index.upsert(points(faces.slice(0, 3), "globex"));
      expect(await index.count({ tenant: "acme", model: MODEL })).toBe(faces.length);
      expect(await index.count({ tenant: "globex", model: MODEL })).toBe(3);
      expect(await index.count({ tenant: "acme", model: "other-model" })).toBe(0);
    });

    check("finds a person's other photo first, with cosine scores in descending order", async () => {
      const obama = faces.filter((f) => f.person === "obama");
      expect(obama).toHaveLength(2);
      const hits = await index.search((obama[0] as FaceVector).vector, 4, { tenant: "acme", model: MODEL });
      expect(hits[0]?.subject).toBe("obama");
      expect(hits[0]?.score).toBeCloseTo(1, 4);
      expect(hits[1]?.subject).toBe("obama");
      expect(hits[1]?.score).toBeCloseTo(cosine((obama[0] as FaceVector).vector, (obama[1] as FaceVector).vector), 4);
      for (let i = 1; i < hits.length; i++) expect(hits[i]?.score).toBeLessThanOrEqual(hits[i - 1]?.score ?? 1);
    });

    check("lists the ids of one partition only", async () => {
      const ids = await index.ids({ tenant: "globex", model: MODEL });
      expect(ids.sort()).toEqual(
        points(faces.slice(0, 3), "globex")
          .map((p) => p.id)
          .sort(),
      );
      expect(await index.ids({ tenant: "acme", model: "other-model" })).toEqual([]);
    });

    check("never returns another tenant's points", async () => {
      const probe = faces.find((f) => f.person === "rose_leslie") as FaceVector;
      const hits = await index.search(probe.vector, 50, { tenant: "globex", model: MODEL });
      expect(hits.length).toBe(3);
      expect(hits.every((h) => h.subject !== "rose_leslie")).toBe(true);
      expect(await index.search(probe.vector, 5, { tenant: "nobody", model: MODEL })).toEqual([]);
    });

    check("overwrites a point upserted again under the same id", async () => {
      const [first] = points(faces, "acme");
      const other = faces.at(-1) as FaceVector;
      await index.upsert([{ ...(first as IndexPoint), vector: other.vector }]);
      expect(await index.count({ tenant: "acme", model: MODEL })).toBe(faces.length);
      await index.upsert([first as IndexPoint]);
    });

    check("returns a subject's vectors", async () => {
      const vectors = await index.subjectVectors({ tenant: "acme", model: MODEL }, "biden");
      expect(vectors).toHaveLength(faces.filter((f) => f.person === "biden").length);
      expect(cosine(vectors[0] as Float32Array, vectors[0] as Float32Array)).toBeCloseTo(1, 4);
    });

    check("deletes points by id", async () => {
      const victim = points(faces, "acme")[0] as IndexPoint;
      await index.delete({ tenant: "acme", model: MODEL }, [victim.id]);
      expect(await index.count({ tenant: "acme", model: MODEL })).toBe(faces.length - 1);
      const hits = await index.search(victim.vector, faces.length, { tenant: "acme", model: MODEL });
      expect(hits.map((h) => h.id)).not.toContain(victim.id);
    });

    check("erases a subject in every model of one tenant and nowhere else", async () => {
      const kit = faces.filter((f) => f.person === "kit_harington");
      await index.upsert(points(kit, "acme", "mobilefacenet-test"));
      const before = await index.count({ tenant: "globex", model: MODEL });
      const removed = await index.deleteSubject("acme", "kit_harington");
      expect(removed).toBe(kit.length * 2);
      const hits = await index.search((kit[0] as FaceVector).vector, 50, { tenant: "acme", model: MODEL });
      expect(hits.every((h) => h.subject !== "kit_harington")).toBe(true);
      expect(await index.count({ tenant: "acme", model: "mobilefacenet-test" })).toBe(0);
      expect(await index.count({ tenant: "globex", model: MODEL })).toBe(before);
    });

    check("refuses a vector of the wrong size", async () => {
      await expect(
        index.upsert([{ id: "x", tenant: "acme", model: MODEL, subject: "x", vector: new Float32Array(3) }]),
      ).rejects.toThrow(/3 dims/);
      await expect(index.search(new Float32Array(3), 5, { tenant: "acme", model: MODEL })).rejects.toThrow();
    });
  });
}
