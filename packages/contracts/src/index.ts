export * from "./gen/facerec/v1/api.js";
export { FaceCrop, FaceEmbedding, MatchEvent } from "./gen/facerec/v1/bus.js";
export { Box, Candidate, Outcome, Point } from "./gen/facerec/v1/common.js";
export { type DecidedFace, matchEventOf, REJECTED_CAMERA } from "./match-event.js";
export { checkSource, sourceOf, streams, subjects } from "./subjects.js";
