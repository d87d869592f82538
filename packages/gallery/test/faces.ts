import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { shared } from "@facerec/testkit";
import { decodeImage, FaceEngine } from "@facerec/vision";

export interface FaceVector {
  person: string;
  file: string;
  vector: Float32Array;
}

let cached: Promise<FaceVector[]> | undefined;

/** Real embeddings: every training photo of the five people in facerec_examples, one face each. */
export function knnTrainVectors(): Promise<FaceVector[]> {
  cached ??= (async () => {
    const engine = await FaceEngine.create({ liveness: "none" });
    const root = shared("data", "facerec_examples", "knn_examples", "train");
    const out: FaceVector[] = [];
    for (const person of readdirSync(root).sort()) {
      for (const file of readdirSync(join(root, person)).sort()) {
        const faces = await engine.analyse(await decodeImage(readFileSync(join(root, person, file))));
        const face = FaceEngine.primary(faces);
        if (face?.embedding) out.push({ person, file, vector: face.embedding });
      }
    }
    return out;
  })();
  return cached;
}
