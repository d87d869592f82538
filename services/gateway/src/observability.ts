import type { AuditTrail } from "@facerec/audit";
import { contextFromHttpHeaders, SpanKind, tracer } from "@facerec/runtime";
import type { Span } from "@opentelemetry/api";
import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

declare module "fastify" {
  interface FastifyRequest {
    span?: Span;
  }
}

/** The gateway's own metrics, beside the process defaults in the same registry. */
export class GatewayMetrics {
  readonly requests: Counter<"method" | "route" | "status">;
  readonly latency: Histogram<"route">;
  readonly decisions: Counter<"operation" | "outcome">;
  readonly engine: Histogram<"operation">;

  constructor(
    readonly registry: Registry,
    audit: AuditTrail,
    gallery: () => { subjects: number; templates: number },
    jobs: () => Promise<Record<string, number>>,
  ) {
    const registers = [registry];
    this.requests = new Counter({
      name: "facerec_http_requests_total",
      help: "HTTP requests by route and status.",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.latency = new Histogram({
      name: "facerec_http_request_seconds",
      help: "HTTP request time by route.",
      labelNames: ["route"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.decisions = new Counter({
      name: "facerec_decisions_total",
      help: "Decisions by operation and outcome, refusals included: counted as they are audited.",
      labelNames: ["operation", "outcome"],
      registers,
    });
    // Scores and subject ids stay out of labels: only the operation and the outcome's kind.
    audit.onAppend((e) => this.decisions.inc({ operation: e.operation, outcome: e.decision.split(/[: ]/)[0] ?? e.decision }));
    this.engine = new Histogram({
      name: "facerec_engine_seconds",
      help: "Model inference time per image (detect, align, liveness, embed).",
      labelNames: ["operation"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2],
      registers,
    });
    new Gauge({
      name: "facerec_gallery_size",
      help: "Subjects and templates in the gallery.",
      labelNames: ["kind"],
      registers,
      collect() {
        const s = gallery();
        this.set({ kind: "subjects" }, s.subjects);
        this.set({ kind: "templates" }, s.templates);
      },
    });
    new Gauge({
      name: "facerec_jobs",
      help: "Jobs in the BullMQ queue by state (distributed mode).",
      labelNames: ["state"],
      registers,
      async collect() {
        for (const [state, n] of Object.entries(await jobs().catch(() => ({})))) this.set({ state }, n);
      },
    });
  }
}

/**
 * Per request: a SERVER span continuing the caller's `traceparent` (a no-op unless tracing is on), the
 * request counter and latency histogram by route.
 */
export function instrument(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.addHook("onRequest", async (request) => {
    request.span = tracer().startSpan(
      `${request.method} ${request.routeOptions.url ?? "unknown"}`,
      {
        kind: SpanKind.SERVER,
        attributes: { "http.request.method": request.method, "url.path": request.url.split("?")[0] ?? "" },
      },
      contextFromHttpHeaders(request.headers),
    );
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
    request.span?.setAttribute("http.response.status_code", reply.statusCode);
    request.span?.end();
  });
}
