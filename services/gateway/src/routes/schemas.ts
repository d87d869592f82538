import type { Limits } from "@facerec/operations";

/**
 * JSON schemas shared by the routes. Images travel either as base64 strings in JSON or as files in a
 * multipart form; `imageBody` builds the per-content-type body schema for both.
 */

/** A subject's or a challenge's id, in a path or a body: one bound for both. */
export const entityId = { type: "string", minLength: 1, maxLength: 100 } as const;

export const idParams = {
  type: "object",
  required: ["id"],
  properties: { id: entityId },
} as const;

const base64Image = { type: "string", minLength: 1, description: "the image (JPEG, PNG, WebP or GIF), base64" } as const;
// Multipart files reach the validator as Buffers, which JSON Schema sees as objects.
const fileImage = { type: "object", description: "the image file (JPEG, PNG, WebP, ...)" } as const;

/** A consent record: all four fields, the operation layer checks their content (REST and gRPC alike). */
export const consent = {
  type: "object",
  description: "the person's consent to enrolment, as the tenant recorded it; required by a consent-required policy",
  required: ["basis", "givenAt", "noticeVersion", "evidenceRef"],
  additionalProperties: false,
  properties: {
    basis: { type: "string", description: "`consent` (explicit opt-in) or the other lawful basis relied on" },
    givenAt: { type: "string", description: "when, ISO 8601" },
    noticeVersion: { type: "string", description: "the transparency notice's version the person was shown" },
    evidenceRef: { type: "string", description: "where the tenant keeps the evidence (e.g. a signed form's number)" },
  },
} as const;

export const subject = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    metadata: { type: "object", additionalProperties: { type: "string" } },
    createdAt: { type: "string", format: "date-time" },
    consent,
    templates: { type: "integer" },
    cropTemplates: {
      type: "array",
      items: { type: "string" },
      description:
        "the templates whose aligned crop is kept, newest first (read one subject; GET /v1/subjects/:id/crop serves them)",
    },
    threshold: {
      type: "object",
      description: "the subject's threshold and why (read one subject; absent without templates)",
      properties: {
        value: { type: "number" },
        global: { type: "number" },
        shift: { type: "number" },
        impostorMean: { type: "number" },
        typicalImpostorMean: { type: "number" },
        cohort: { type: "integer" },
        reason: { type: "string" },
      },
    },
  },
} as const;

/** A subject's name, metadata and consent, within the limits the operation layer enforces (shown in OpenAPI). */
export function subjectChange(limits: Limits) {
  return {
    name: { type: "string", minLength: 1, maxLength: limits.subjectName },
    metadata: {
      type: "object",
      additionalProperties: { type: "string", maxLength: limits.metadataValue },
      maxProperties: limits.metadataEntries,
    },
    consent,
  } as const;
}

export const error = {
  type: "object",
  properties: { error: { type: "string", description: "gRPC status name" }, message: { type: "string" } },
} as const;

type Shape = "one" | "many" | "optional" | "optional-many";

/**
 * A body of image fields (each one image, a list of them, or an optional one) plus plain fields,
 * accepted as JSON with base64 images or as multipart/form-data with files. How many images a list
 * may hold is the operation layer's rule (413 past it, on REST and gRPC alike).
 */
export function imageBody(
  images: Record<string, Shape>,
  fields: Record<string, object> = {},
  extra: { oneOf?: object[] } = {},
): object {
  const variant = (image: object) => {
    const properties: Record<string, object> = { ...fields };
    for (const [name, shape] of Object.entries(images)) {
      properties[name] =
        shape === "many"
          ? { type: "array", minItems: 1, items: image }
          : shape === "optional-many"
            ? { type: "array", items: image }
            : image;
    }
    return {
      type: "object",
      additionalProperties: false,
      required: Object.entries(images)
        .filter(([, shape]) => shape === "one" || shape === "many")
        .map(([name]) => name),
      properties,
      ...(extra.oneOf ? { oneOf: extra.oneOf } : {}),
    };
  };
  return {
    content: {
      "application/json": { schema: variant(base64Image) },
      "multipart/form-data": { schema: variant(fileImage) },
    },
  };
}

/** The bytes of an image field, whichever way it came. */
export function imageBytes(value: string | Buffer): Uint8Array {
  return typeof value === "string" ? Buffer.from(value, "base64") : value;
}

const text = { type: "string" } as const;

/** An audit entry as the API shows it. */
export const auditEntry = {
  type: "object",
  properties: {
    sequence: { type: "integer" },
    time: { type: "string", format: "date-time" },
    tenant: text,
    keyId: text,
    operation: text,
    subjectId: text,
    decision: text,
    scores: { type: "array", items: { type: "number" } },
    modelId: text,
    latencyMs: { type: "number" },
    requestId: text,
    hash: text,
    camera: { type: "string", description: "the camera a decision was made for" },
  },
} as const;

/** What an erasure answers: the templates removed and the receipt of every personal-data store it reached. */
export const erasure = {
  type: "object",
  properties: {
    templatesRemoved: { type: "integer" },
    receipt: {
      type: "object",
      properties: {
        subjectId: { type: "string" },
        erasedAt: { type: "string" },
        stores: {
          type: "array",
          items: {
            type: "object",
            properties: { store: { type: "string" }, removed: { type: "integer" }, detail: { type: "string" } },
          },
        },
      },
    },
  },
} as const;
