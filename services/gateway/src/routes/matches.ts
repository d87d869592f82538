import { MatchEvent } from "@facerec/contracts";
import type { Recognition } from "@facerec/operations";
import type { FastifyInstance } from "fastify";

/**
 * WatchMatches over HTTP: a text/event-stream of the tenant's match events, one JSON MatchEvent per
 * `data:` line, with a comment line every 15 s so idle proxies keep the connection open. A reader
 * more than `streamBacklogBytes` behind is disconnected.
 */
export function matchRoutes(app: FastifyInstance, recognition: Recognition): void {
  app.get<{ Querystring: { camera?: string[] } }>(
    "/v1/matches",
    {
      schema: {
        tags: ["recognition"],
        operationId: "watchMatches",
        summary: "Follow the tenant's match events as server-sent events",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { camera: { type: "array", items: { type: "string", maxLength: 64 }, maxItems: 100 } },
        },
        produces: ["text/event-stream"],
      },
    },
    async (request, reply) => {
      // A client that leaves while its stream is being opened (its audit entry written) frees its slot too.
      let left = false;
      reply.raw.once("close", () => {
        left = true;
      });
      const stop = await recognition.watchMatches(request.principal, request.query.camera ?? [], (event) => {
        // A reader that stopped reading would hold every later event in memory: end its stream instead.
        if (reply.raw.writableLength > recognition.limits.streamBacklogBytes) {
          stop();
          reply.raw.destroy();
          recognition.streamDropped(request.principal, request.id).catch((err) => request.log.error({ err }, "audit"));
          return;
        }
        reply.raw.write(`data: ${JSON.stringify(MatchEvent.toJSON(event))}\n\n`);
      });
      if (left) {
        stop();
        return reply.hijack();
      }
      reply.hijack();
      reply.raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
      reply.raw.write(": watching\n\n");
      const keepAlive = setInterval(() => reply.raw.write(": keep-alive\n\n"), 15_000);
      request.raw.once("close", () => {
        clearInterval(keepAlive);
        stop();
      });
    },
  );
}
