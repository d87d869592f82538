import type { Recognition } from "@facerec/operations";
import type { FastifyInstance } from "fastify";
import { entityId, imageBody, imageBytes } from "./schemas.js";

const box = {
  type: "object",
  properties: { x: { type: "number" }, y: { type: "number" }, width: { type: "number" }, height: { type: "number" } },
} as const;
const candidate = {
  type: "object",
  properties: {
    subjectId: { type: "string" },
    subjectName: { type: "string" },
    score: { type: "number" },
    threshold: { type: "number" },
  },
} as const;
const camera = { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$", description: "where the image came from" } as const;

/** 1:N identify and 1:1 verify. */
export function recogniseRoutes(app: FastifyInstance, recognition: Recognition): void {
  const tags = ["recognition"];
  app.post<{ Body: { image: string | Buffer; frames?: (string | Buffer)[]; camera?: string; liveness?: string } }>(
    "/v1/identify",
    {
      schema: {
        tags,
        operationId: "identify",
        summary: "Identify every face in an image",
        description:
          "`frames` (up to 9): more frames of the same scene taken just after the image, a burst or a short clip's. Each face's liveness is then combined over the frames it is found in, as a camera track is, and judged at a camera's thresholds.",
        body: imageBody(
          { image: "one", frames: "optional-many" },
          {
            camera,
            liveness: {
              type: "string",
              enum: ["required", "advisory", "off"],
              description: "stricter than the camera's policy, or looser with an admin key; default: the camera's",
            },
          },
        ),
        response: {
          200: {
            type: "object",
            properties: {
              requestId: { type: "string" },
              modelId: { type: "string" },
              liveness: { type: "string", description: "the liveness policy applied: required, advisory or off" },
              livenessSource: { type: "string", description: "who set that policy: request, camera, tenant or deployment" },
              livenessThreshold: {
                type: "number",
                description: "the liveness score under which the required policy refuses a face",
              },
              faces: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    box,
                    outcome: { type: "string", enum: ["match", "unknown", "rejected-quality", "rejected-spoof"] },
                    subjectId: { type: "string" },
                    subjectName: { type: "string", description: "the matched subject's name, beside its id" },
                    reason: {
                      type: "string",
                      description: "why the face was refused (rejected-spoof, rejected-quality), with the figures",
                    },
                    score: { type: "number" },
                    threshold: { type: "number" },
                    quality: { type: "number" },
                    liveness: { type: "number" },
                    livenessFrames: {
                      type: "integer",
                      description:
                        "with frames: how many the liveness score was combined over (the face's own and those it was found in)",
                    },
                    candidates: { type: "array", items: candidate },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (request) => ({
      ...(await recognition.identify(
        request.principal,
        imageBytes(request.body.image),
        request.body.camera,
        request.body.liveness,
        (request.body.frames ?? []).map(imageBytes),
      )),
      modelId: recognition.modelId,
    }),
  );

  app.post<{ Body: { image: string | Buffer; frames?: (string | Buffer)[]; subjectId?: string; otherImage?: string | Buffer } }>(
    "/v1/verify",
    {
      schema: {
        tags,
        operationId: "verify",
        summary: "Verify the main face of an image against a subject or against a second image",
        description:
          "`frames` (up to 9): more frames of the person taken just after the image. The main face's liveness is then combined over them, and under the `required` policy a match below the bar is refused (`match` false, with a `reason`).",
        body: imageBody(
          { image: "one", otherImage: "optional", frames: "optional-many" },
          { subjectId: entityId },
          { oneOf: [{ required: ["subjectId"] }, { required: ["otherImage"] }] },
        ),
        response: {
          200: {
            type: "object",
            properties: {
              match: { type: "boolean" },
              score: { type: "number" },
              threshold: { type: "number" },
              requestId: { type: "string" },
              subjectName: { type: "string", description: "the subject verified against, when one was named" },
              liveness: { type: "number", description: "with frames: the main face's liveness over them" },
              livenessFrames: { type: "integer", description: "with frames: how many the score was combined over" },
              livenessThreshold: { type: "number", description: "with frames: the bar the score had to clear" },
              reason: { type: "string", description: "why a match was refused (liveness under the bar)" },
            },
          },
        },
      },
    },
    async (request) => {
      const { image, subjectId, otherImage, frames } = request.body;
      const against = subjectId ? { subjectId } : { otherImage: imageBytes(otherImage as string | Buffer) };
      return recognition.verify(request.principal, imageBytes(image), against, (frames ?? []).map(imageBytes));
    },
  );

  app.post<{ Body: { image: string | Buffer; subjectId: string; verdict: "wrong" | "right"; decisionId?: string } }>(
    "/v1/feedback",
    {
      schema: {
        tags,
        operationId: "feedback",
        summary:
          'Say a decision naming subjectId was wrong ("not them": later look-alikes need more to match) or right (the face becomes a template)',
        body: imageBody(
          { image: "one" },
          {
            subjectId: entityId,
            verdict: { type: "string", enum: ["wrong", "right"] },
            decisionId: {
              type: "string",
              maxLength: 200,
              description: "the decision's id (identify's requestId:face, or a camera event's cropId)",
            },
          },
          { oneOf: [{ required: ["subjectId", "verdict"] }] },
        ),
        response: {
          200: {
            type: "object",
            properties: {
              verdict: { type: "string" },
              subjectId: { type: "string" },
              templateId: { type: "string" },
              score: { type: "number" },
              requestId: { type: "string" },
            },
          },
        },
      },
    },
    async (request) => {
      const { image, subjectId, verdict, decisionId } = request.body;
      return recognition.feedback(request.principal, {
        image: imageBytes(image),
        subjectId,
        verdict,
        ...(decisionId ? { decisionId } : {}),
      });
    },
  );
}
