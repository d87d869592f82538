export { engineConfigFromEnv } from "./engine-config.js";
export {
  consumerLag,
  exitOnDamagedState,
  metricsRegistry,
  numberSetting,
  onShutdown,
  serveOps,
  serviceLogger,
  setting,
} from "./service.js";
export { contextFromHeaders, contextFromHttpHeaders, headersFor, inSpan, SpanKind, startTracing, tracer } from "./tracing.js";
