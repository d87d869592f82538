import { readFileSync } from "node:fs";
import { decodeImage, type EngineConfig, type Face, FaceEngine, type Image, ImageError } from "@facerec/vision";
import { parseNumber } from "./usage.js";

/** Command-line options shared by every command that runs the engine. */
export const engineOptionSpec = {
  detector: { type: "string" },
  landmarks: { type: "string" },
  embedder: { type: "string" },
  liveness: { type: "string" },
  flip: { type: "boolean" },
  threads: { type: "string" },
  concurrency: { type: "string" },
  "min-face": { type: "string" },
  "score-threshold": { type: "string" },
} as const;

export interface EngineFlags {
  detector?: string;
  landmarks?: string;
  embedder?: string;
  liveness?: string;
  flip?: boolean;
  threads?: string;
  "min-face"?: string;
  "score-threshold"?: string;
}

export function engineConfig(flags: EngineFlags): EngineConfig {
  const threads = flags.threads ? parseNumber("threads", flags.threads, 0) : undefined;
  return {
    ...(flags.detector ? { detector: flags.detector } : {}),
    ...(flags.landmarks ? { landmarks: flags.landmarks } : {}),
    ...(flags.embedder ? { embedder: flags.embedder } : {}),
    ...(flags.liveness ? { liveness: flags.liveness } : {}),
    flip: flags.flip ?? false,
    session: threads ? { intraOpThreads: threads } : {},
    detect: {
      ...(flags["min-face"] ? { minFaceSize: parseNumber("min-face", flags["min-face"], 0) } : {}),
      ...(flags["score-threshold"] ? { scoreThreshold: parseNumber("score-threshold", flags["score-threshold"], 0) } : {}),
    },
  };
}

export async function loadImage(path: string): Promise<Image> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    // Some read errors (EISDIR) come without the path: name it, so the message says which file.
    throw Object.assign(error as NodeJS.ErrnoException, { path });
  }
  try {
    return await decodeImage(bytes);
  } catch (error) {
    if (error instanceof ImageError) throw new ImageError(error.code, `${path}: ${error.message}`);
    throw error;
  }
}

/** The face whose box centre lies nearest the image centre (LFW centres the labelled person). */
export function centralFace(faces: readonly Face[], img: Image): Face | undefined {
  const d = (f: Face): number =>
    Math.hypot(f.box.x + f.box.width / 2 - img.width / 2, f.box.y + f.box.height / 2 - img.height / 2);
  return [...faces].sort((a, b) => d(a) - d(b))[0];
}

export { FaceEngine };
