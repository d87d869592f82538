export { ApiFailure, apiFailure, type GrpcCode } from "./errors.js";
export { Mutex } from "./mutex.js";
export { repoRoot } from "./paths.js";
export { leadingDirections, type SubspaceIteration } from "./principal.js";
export { gaussianNoise, seededUniform } from "./random.js";
export { isToken, TOKEN, token } from "./tokens.js";
export { withoutSecrets } from "./urls.js";
export { cosine, l2normalise } from "./vector.js";
