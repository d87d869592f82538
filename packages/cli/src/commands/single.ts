import { writeFileSync } from "node:fs";
import { cosine } from "@facerec/common";
import { encodePng, type Face, FaceEngine } from "@facerec/vision";
import { drawBox, drawNumber, drawPoints } from "../draw.js";
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
    // Each face numbered as the printed list numbers it, the number readable at any image size.
    const scale = Math.max(2, Math.round(Math.min(img.width, img.height) / 160));
    for (const [i, f] of faces.entries()) {
      drawBox(canvas, f.box, [0, 220, 0]);
      drawPoints(canvas, f.landmarks, [255, 40, 40]);
      drawNumber(canvas, i + 1, f.box.x, Math.max(0, f.box.y - 7 * scale), [255, 255, 255], scale);
    }
    writeFileSync(out, await encodePng(canvas));
  }
  return {
    image,
    width: img.width,
    height: img.height,
    faces: faces.map((f, i) => ({ number: i + 1, ...describe(f) })),
    ...(out ? { annotated: out } : {}),
  };
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
      const faces = await engine.analyse(await loadImage(path));
      const face = FaceEngine.primary(faces);
      if (!face?.embedding) throw new Error(`no face found in ${path}`);
      return { embedding: face.embedding, found: faces.length, box: face.box };
    }),
  );
  const similarity = cosine(fa?.embedding as Float32Array, fb?.embedding as Float32Array);
  // A photo of several people is compared by its largest face: said, with that face's box.
  const several = [
    ...(fa && fa.found > 1 ? [`${a} holds ${fa.found} faces`] : []),
    ...(fb && fb.found > 1 ? [`${b} holds ${fb.found} faces`] : []),
  ];
  return {
    a,
    b,
    similarity: round(similarity, 4),
    threshold,
    decision: similarity >= threshold ? "same person" : "different people",
    ...(several.length
      ? {
          compared: { a: fa?.box, b: fb?.box },
          note: `${several.join("; ")}: the largest face of each was compared (boxes in "compared"); crop the photo to compare another`,
        }
      : {}),
  };
}
