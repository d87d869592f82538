import { appendFileSync } from "node:fs";
import { type MsgHdrs, headers as natsHeaders } from "@nats-io/nats-core";
import {
  type Context,
  context,
  defaultTextMapGetter,
  propagation,
  type Span,
  SpanKind,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from "@opentelemetry/api";
import { ExportResultCode, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";

/**
 * Spans as JSON lines in a file, one per span: for tests and for looking at a trace without a
 * collector. Each line holds the trace and span ids, the parent, the name, the service and attributes.
 */
class JsonLinesExporter implements SpanExporter {
  constructor(private readonly file: string) {}

  export(spans: ReadableSpan[], done: (result: { code: ExportResultCode }) => void): void {
    const lines = spans.map((s) =>
      JSON.stringify({
        traceId: s.spanContext().traceId,
        spanId: s.spanContext().spanId,
        parentSpanId: s.parentSpanContext?.spanId,
        name: s.name,
        service: s.resource.attributes["service.name"],
        attributes: s.attributes,
        durationMs: s.duration[0] * 1000 + s.duration[1] / 1e6,
      }),
    );
    appendFileSync(this.file, `${lines.join("\n")}\n`);
    done({ code: ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Tracing is off unless turned on: OTEL_EXPORTER_OTLP_ENDPOINT sends spans to an OpenTelemetry
 * collector over OTLP/HTTP; FACEREC_TRACE_FILE writes them as JSON lines. Off, every span call is the
 * OpenTelemetry API's no-op. Trace context travels in W3C `traceparent` headers, over HTTP and NATS.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): { shutdown(): Promise<void> } | undefined {
  const processors = [];
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  if (env.FACEREC_TRACE_FILE) processors.push(new SimpleSpanProcessor(new JsonLinesExporter(env.FACEREC_TRACE_FILE)));
  if (processors.length === 0) return undefined;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": `facerec-${service}` }),
    spanProcessors: processors,
  });
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return { shutdown: () => provider.shutdown() };
}

export const tracer = () => trace.getTracer("facerec");

const natsGetter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (h) => (h ? h.keys() : []),
  get: (h, key) => h?.get(key) || undefined,
};
const natsSetter: TextMapSetter<MsgHdrs> = { set: (h, key, value) => h.set(key, value) };

/** The trace context a NATS message carries (the root context when it has none). */
export function contextFromHeaders(h: MsgHdrs | undefined): Context {
  return propagation.extract(context.active(), h, natsGetter);
}

/** The trace context of an HTTP request (its `traceparent` header), or the root context. */
export function contextFromHttpHeaders(h: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(context.active(), h, defaultTextMapGetter);
}

/** Headers carrying `span`'s context, for the message published under it. */
export function headersFor(span: Span): MsgHdrs {
  const h = natsHeaders();
  propagation.inject(trace.setSpan(context.active(), span), h, natsSetter);
  return h;
}

/** Run `fn` in a span that continues the trace of `parent`; the span ends (and records a throw) when it settles. */
export async function inSpan<T>(
  name: string,
  parent: Context,
  attributes: Record<string, string | number>,
  kind: SpanKind,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const span = tracer().startSpan(name, { kind, attributes }, parent);
  try {
    return await fn(span);
  } catch (error) {
    span.recordException(error as Error);
    throw error;
  } finally {
    span.end();
  }
}

export { SpanKind };
