import { type EngineConfig, EXECUTION_PROVIDERS, type SessionOptions } from "@facerec/vision";

const LEVELS = ["disabled", "basic", "extended", "all"] as const;

function graphOptimization(value: string): NonNullable<SessionOptions["graphOptimization"]> {
  const level = LEVELS.find((l) => l === value);
  if (!level) throw new RangeError(`FACEREC_GRAPH_OPT=${value} is not one of ${LEVELS.join(", ")}`);
  return level;
}

/**
 * FACEREC_EXECUTION_PROVIDER: the providers to try in order, comma-separated ("cuda,cpu" runs on the
 * GPU where it can and says so when it falls back; "cuda" alone refuses to start without one).
 * @default cpu
 */
function executionProviders(value: string): string[] {
  const providers = value.split(",").map((p) => p.trim());
  for (const p of providers) {
    if (!(EXECUTION_PROVIDERS as readonly string[]).includes(p)) {
      throw new RangeError(`FACEREC_EXECUTION_PROVIDER=${value}: "${p}" is not one of ${EXECUTION_PROVIDERS.join(", ")}`);
    }
  }
  return providers;
}

/**
 * FACEREC_THREADS: ONNX Runtime threads per inference, every model (a container's CPU limit).
 * @default DEFAULT_EMBEDDER_THREADS for the embedder, ONNX Runtime's own for the others
 */
function threads(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`FACEREC_THREADS=${value} is not a whole number of threads`);
  return n;
}

/** One line on stderr per provider that could not load, however many models fell back. */
function warnOnce(): SessionOptions["onFallback"] {
  const told = new Set<string>();
  return (provider, reason, next) => {
    if (told.has(provider)) return;
    told.add(provider);
    process.stderr.write(`facerec: the ${provider} execution provider cannot run here (${reason}); running on ${next}\n`);
  };
}

/**
 * The engine's models as a deployment sets them (a ConfigMap in the Helm chart): model ids from the
 * catalogue, extra manifest files for packs beyond the built-in ones, and ONNX Runtime's graph
 * optimisation level (FACEREC_GRAPH_OPT), its threads per inference (FACEREC_THREADS), and the execution
 * providers (FACEREC_EXECUTION_PROVIDER). Unset means the default pack, level, threads and the CPU.
 */
export function engineConfigFromEnv(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  return {
    ...(env.FACEREC_DETECTOR ? { detector: env.FACEREC_DETECTOR } : {}),
    ...(env.FACEREC_LANDMARKS ? { landmarks: env.FACEREC_LANDMARKS } : {}),
    ...(env.FACEREC_EMBEDDER ? { embedder: env.FACEREC_EMBEDDER } : {}),
    ...(env.FACEREC_LIVENESS ? { liveness: env.FACEREC_LIVENESS } : {}),
    ...(env.FACEREC_LIVENESS_HEAD ? { livenessHead: env.FACEREC_LIVENESS_HEAD } : {}),
    ...(env.FACEREC_MANIFESTS ? { manifests: env.FACEREC_MANIFESTS.split(",").filter(Boolean) } : {}),
    session: {
      ...(env.FACEREC_THREADS ? { intraOpThreads: threads(env.FACEREC_THREADS) } : {}),
      ...(env.FACEREC_GRAPH_OPT ? { graphOptimization: graphOptimization(env.FACEREC_GRAPH_OPT) } : {}),
      ...(env.FACEREC_EXECUTION_PROVIDER ? { executionProviders: executionProviders(env.FACEREC_EXECUTION_PROVIDER) } : {}),
      onFallback: warnOnce(),
    },
  };
}
