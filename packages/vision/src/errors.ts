/** Why an input image was refused; stable codes that callers map to HTTP 4xx / gRPC codes. */
export type ImageErrorCode =
  | "EMPTY"
  | "TOO_LARGE"
  | "NOT_AN_IMAGE"
  | "UNSUPPORTED_FORMAT"
  | "CORRUPT"
  | "TOO_MANY_PIXELS"
  | "TOO_SMALL"
  | "NO_FACE";

export class ImageError extends Error {
  override readonly name = "ImageError";
  constructor(
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class ModelPackError extends Error {
  override readonly name = "ModelPackError";
}

/** No execution provider asked for could run a model (a GPU provider without its libraries or device). */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
}
