import { writeFileSync } from "node:fs";
import { cosine } from "@facerec/common";
import { encodePng, type Face, FaceEngine } from "@facerec/vision";
import { drawBox, drawPoints } from "../draw.js";
import { loadImage } from "../engine-options.js";

const round = (v: number, digits = 1): number => Number(v.toFixed(digits));

function describe(face: Face): Record<string, unknown> {
  return {
    box: { x: round(face.box.x), y: round(face.box.y), width: round(face.box.width), height: round(face.box.height) },
    score: round(face.detectorScore, 4),
    landmarks: face.landmarks.map((p) => [round(p.x), round(p.y)]),
    quality: round(face.quality.score, 3),
    ...(face.liveness !== undefined ? { liveness: round(face.liveness, 4) } : {}),
  };
}

export async function detectCommand(engine: FaceEngine, image: string, out?: string): Promise<Record<string, unknown>> {
  const img = await loadImage(image);
  const faces = await engine.analyse(img, { embed: false, liveness: true });
  if (out) {
    const canvas = { ...img, data: new Uint8Array(img.data) };
    for (const f of faces) {
      drawBox(canvas, f.box, [0, 220, 0]);
      drawPoints(canvas, f.landmarks, [255, 40, 40]);
    }
    writeFileSync(out, await encodePng(canvas));
  }
  return { image, width: img.width, height: img.height, faces: faces.map(describe), ...(out ? { annotated: out } : {}) };
}

export async function embedCommand(engine: FaceEngine, image: string): Promise<Record<string, unknown>> {
  const img = await loadImage(image);
  const face = FaceEngine.primary(await engine.analyse(img));
  if (!face?.embedding) throw new Error(`no face found in ${image}`);
  return { image, model: engine.embedder.id, face: describe(face), embedding: Array.from(face.embedding, (v) => round(v, 6)) };
}

export async function compareCommand(
  engine: FaceEngine,
  a: string,
  b: string,
  threshold: number,
): Promise<Record<string, unknown>> {
  const [fa, fb] = await Promise.all(
    [a, b].map(async (path) => {
      const face = FaceEngine.primary(await engine.analyse(await loadImage(path)));
      if (!face?.embedding) throw new Error(`no face found in ${path}`);
      return face.embedding;
    }),
  );
  const similarity = cosine(fa as Float32Array, fb as Float32Array);
  return {
    a,
    b,
    similarity: round(similarity, 4),
    threshold,
    decision: similarity >= threshold ? "same person" : "different people",
  };
}
