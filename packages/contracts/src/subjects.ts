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

/**
 * The tenant and camera a bus message was published under (`faces.<kind>.<tenant>.<camera>`). A
 * worker takes them from here, not from the message body: NATS credentials scope a publisher to its
 * tenant's subjects, so only the subject says whose a message is.
 */
export function sourceOf(subject: string): { tenant: string; camera: string } | undefined {
  const parts = subject.split(".");
  if (parts.length !== 4 || parts[0] !== "faces") return undefined;
  return { tenant: parts[2] as string, camera: parts[3] as string };
}

/** A message whose body names another tenant or camera than its subject: refused, never decided. */
export function checkSource(subject: string, body: { tenant: string; camera: string }): void {
  const source = sourceOf(subject);
  if (!source || source.tenant !== body.tenant || source.camera !== body.camera) {
    throw new Error(
      `the message names tenant ${body.tenant.slice(0, 64)}, camera ${body.camera.slice(0, 64)} but was published on ${subject.slice(0, 200)}`,
    );
  }
}

export const streams = {
  crops: "FACES_CROP",
  embeddings: "FACES_EMBEDDING",
  matches: "FACES_MATCH",
  deadLetter: "FACES_DEAD",
} as const;
