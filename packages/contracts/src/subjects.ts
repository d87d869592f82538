/** NATS subjects and JetStream names of the pipeline, in one place for every service. */

import { token } from "@facerec/common";

export const subjects = {
  crop: (tenant: string, camera: string): string => `faces.crop.${token("tenant", tenant)}.${token("camera", camera)}`,
  embedding: (tenant: string, camera: string): string => `faces.embedding.${token("tenant", tenant)}.${token("camera", camera)}`,
  match: (tenant: string, camera: string): string => `faces.match.${token("tenant", tenant)}.${token("camera", camera)}`,
  /** A tenant or camera name checked as one subject token. */
  token,
  allCrops: "faces.crop.>",
  allEmbeddings: "faces.embedding.>",
  allMatches: "faces.match.>",
  deadLetter: "faces.dead.>",
} as const;

export const streams = {
  crops: "FACES_CROP",
  embeddings: "FACES_EMBEDDING",
  matches: "FACES_MATCH",
  deadLetter: "FACES_DEAD",
} as const;
