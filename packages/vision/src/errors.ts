import { ApiFailure, type GrpcCode } from "@facerec/common";

/** Why an input image was refused: stable codes, for callers to tell the refusals apart. */
export type ImageErrorCode =
  | "EMPTY"
  | "TOO_LARGE"
  | "NOT_AN_IMAGE"
  | "UNSUPPORTED_FORMAT"
  | "CORRUPT"
  | "TOO_MANY_PIXELS"
  | "TOO_SMALL"
  | "NO_FACE";

/** How the API answers each refusal: an image too big for its limits is 413, any other fault in it 400. */
const ANSWERS: Record<ImageErrorCode, { status: number; grpcCode: GrpcCode }> = {
  EMPTY: { status: 400, grpcCode: "INVALID_ARGUMENT" },
  TOO_LARGE: { status: 413, grpcCode: "RESOURCE_EXHAUSTED" },
  NOT_AN_IMAGE: { status: 400, grpcCode: "INVALID_ARGUMENT" },
  UNSUPPORTED_FORMAT: { status: 400, grpcCode: "INVALID_ARGUMENT" },
  CORRUPT: { status: 400, grpcCode: "INVALID_ARGUMENT" },
  TOO_MANY_PIXELS: { status: 413, grpcCode: "RESOURCE_EXHAUSTED" },
  TOO_SMALL: { status: 400, grpcCode: "INVALID_ARGUMENT" },
  NO_FACE: { status: 400, grpcCode: "INVALID_ARGUMENT" },
};

export class ImageError extends ApiFailure {
  override readonly name = "ImageError";
  constructor(
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(ANSWERS[code].status, ANSWERS[code].grpcCode, message);
  }

  /** The code leads, so a caller can tell the refusals apart without parsing the prose. */
  override get publicMessage(): string {
    return `${this.code}: ${this.message}`;
  }
}

export class ModelPackError extends Error {
  override readonly name = "ModelPackError";
}

/** No execution provider asked for could run a model (a GPU provider without its libraries or device). */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
}
