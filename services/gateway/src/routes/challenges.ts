import type { Recognition } from "@facerec/operations";
import { CHALLENGE_ACTIONS, CHALLENGE_REASONS } from "@facerec/vision";
import type { FastifyInstance } from "fastify";
import { entityId, imageBody, imageBytes, idParams as params } from "./schemas.js";

const actions = { type: "array", items: { type: "string", enum: [...CHALLENGE_ACTIONS] } } as const;

/** The active liveness check: start a challenge, send it camera frames, ask for its result. */
export function challengeRoutes(app: FastifyInstance, recognition: Recognition): void {
  const tags = ["liveness"];
  app.post<{ Body: { subjectId?: string } | undefined }>(
    "/v1/liveness/challenges",
    {
      schema: {
        tags,
        operationId: "startChallenge",
        summary: "Start an active liveness check: the actions to ask of the person, in order",
        body: {
          type: "object",
          additionalProperties: false,
          properties: {
            subjectId: {
              ...entityId,
              description: "also check that the person who answers is this subject (each frame facing the camera is compared)",
            },
          },
        },
        response: {
          201: {
            type: "object",
            properties: {
              id: { type: "string" },
              actions,
              prompts: { type: "array", items: { type: "string" }, description: "the words to show for each action" },
              expiresAt: { type: "string", format: "date-time" },
              maxFrames: { type: "integer" },
            },
          },
        },
      },
      // The body is optional: a start with none asks nothing more of the person than the actions.
      preValidation: async (request: { body: unknown }) => {
        request.body ??= {};
      },
    },
    async (request, reply) => reply.code(201).send(await recognition.startChallenge(request.principal, request.body?.subjectId)),
  );

  app.post<{ Params: { id: string }; Body: { image: string | Buffer } }>(
    "/v1/liveness/challenges/:id/frames",
    {
      schema: {
        tags,
        operationId: "sendChallengeFrame",
        summary: "One camera frame of a challenge (its pose is kept, never the frame)",
        params,
        body: imageBody({ image: "one" }),
        response: {
          200: {
            type: "object",
            properties: {
              frame: { type: "integer" },
              faces: { type: "integer" },
              pose: {
                type: "object",
                description: "the lone face's pose: yaw in eye distances, eyes' opening (see the README)",
                properties: { yaw: { type: "number" }, eyes: { type: "number" } },
              },
              observed: actions,
              complete: { type: "boolean", description: "every asked action has been seen: ask for the result" },
            },
          },
        },
      },
    },
    async (request) => recognition.sendChallengeFrame(request.principal, request.params.id, imageBytes(request.body.image)),
  );

  app.post<{ Params: { id: string } }>(
    "/v1/liveness/challenges/:id/result",
    {
      schema: {
        tags,
        operationId: "challengeResult",
        summary: "Judge a challenge from its frames, once: live, or why not",
        params,
        response: {
          200: {
            type: "object",
            properties: {
              id: { type: "string" },
              live: { type: "boolean" },
              reason: {
                type: "string",
                enum: [...CHALLENGE_REASONS],
              },
              detail: { type: "string" },
              actions,
              observed: actions,
              frames: { type: "integer" },
              faceFrames: { type: "integer" },
              subject: {
                type: "object",
                description:
                  "where the start named a subject: whether the person who answered is them (the median score of the frames facing the camera against their threshold)",
                properties: {
                  subjectId: { type: "string" },
                  match: { type: "boolean" },
                  score: { type: "number" },
                  threshold: { type: "number" },
                  frames: { type: "integer" },
                },
              },
              requestId: { type: "string" },
            },
          },
        },
      },
    },
    async (request) => recognition.challengeResult(request.principal, request.params.id),
  );
}
