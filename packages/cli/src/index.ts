export { evalLfw, type LfwReport } from "./commands/eval-lfw.js";
export { evalPad, type PadReport } from "./commands/eval-pad.js";
export { embedFiles } from "./embed-files.js";
export { EmbeddingCache } from "./embedding-cache.js";
export { parsePairs } from "./lfw-pairs.js";
export * from "./metrics.js";
