import type { EngineConfig, SessionOptions } from "@facerec/vision";

const LEVELS = ["disabled", "basic", "extended", "all"] as const;

function graphOptimization(value: string): NonNullable<SessionOptions["graphOptimization"]> {
  const level = LEVELS.find((l) => l === value);
  if (!level) throw new RangeError(`FACEREC_GRAPH_OPT=${value} is not one of ${LEVELS.join(", ")}`);
  return level;
}

/**
 * The engine's models as a deployment sets them (a ConfigMap in the Helm chart): model ids from the
 * catalogue, extra manifest files for packs beyond the built-in ones, and ONNX Runtime's graph
 * optimisation level (FACEREC_GRAPH_OPT). Unset means the default pack and level.
 */
export function engineConfigFromEnv(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  return {
    ...(env.FACEREC_DETECTOR ? { detector: env.FACEREC_DETECTOR } : {}),
    ...(env.FACEREC_LANDMARKS ? { landmarks: env.FACEREC_LANDMARKS } : {}),
    ...(env.FACEREC_EMBEDDER ? { embedder: env.FACEREC_EMBEDDER } : {}),
    ...(env.FACEREC_LIVENESS ? { liveness: env.FACEREC_LIVENESS } : {}),
    ...(env.FACEREC_MANIFESTS ? { manifests: env.FACEREC_MANIFESTS.split(",").filter(Boolean) } : {}),
    ...(env.FACEREC_GRAPH_OPT ? { session: { graphOptimization: graphOptimization(env.FACEREC_GRAPH_OPT) } } : {}),
  };
}
