import type { EngineConfig } from "@facerec/vision";

/**
 * The engine's models as a deployment sets them (a ConfigMap in the Helm chart): model ids from the
 * catalogue, and extra manifest files for packs beyond the built-in ones. Unset means the default pack.
 */
export function engineConfigFromEnv(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  return {
    ...(env.FACEREC_DETECTOR ? { detector: env.FACEREC_DETECTOR } : {}),
    ...(env.FACEREC_LANDMARKS ? { landmarks: env.FACEREC_LANDMARKS } : {}),
    ...(env.FACEREC_EMBEDDER ? { embedder: env.FACEREC_EMBEDDER } : {}),
    ...(env.FACEREC_LIVENESS ? { liveness: env.FACEREC_LIVENESS } : {}),
    ...(env.FACEREC_MANIFESTS ? { manifests: env.FACEREC_MANIFESTS.split(",").filter(Boolean) } : {}),
  };
}
