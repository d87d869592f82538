export { evalLfw, type LfwReport } from "./commands/eval-lfw.js";
export { evalPad, type PadReport } from "./commands/eval-pad.js";
export { type QuantizeOptions, type QuantizeReport, quantizeModel } from "./commands/quantize.js";
export { embedFiles } from "./embed-files.js";
export { EmbeddingCache } from "./embedding-cache.js";
export { parsePairs } from "./lfw-pairs.js";
export * from "./metrics.js";
