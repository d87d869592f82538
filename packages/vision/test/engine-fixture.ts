import { readFileSync } from "node:fs";
import { decodeImage, type EngineConfig, FaceEngine, type Image } from "../src/index.js";

const engines = new Map<string, Promise<FaceEngine>>();

/** One engine per configuration for the whole test file: sessions take a while to build. */
export function engineFor(config: EngineConfig = {}): Promise<FaceEngine> {
  const key = JSON.stringify(config);
  let engine = engines.get(key);
  if (!engine) {
    engine = FaceEngine.create(config);
    engines.set(key, engine);
  }
  return engine;
}

export async function load(path: string): Promise<Image> {
  return decodeImage(readFileSync(path));
}
