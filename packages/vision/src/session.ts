import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import ort from "onnxruntime-node";
import { ProviderError } from "./errors.js";
import { exposeFeatures, makeBatchDynamic } from "./onnx-batch.js";

/**
 * The embedder's threads per inference unless a session or FACEREC_THREADS says otherwise: every CPU
 * this process may run on, without spin-waiting. ONNX Runtime's own default took one thread on this
 * 2-core machine: batch 8 embedded at 100 faces/s on one thread, 159 on two spinning and 178 on two
 * that sleep when idle. The other models keep ONNX Runtime's default: the edge's mix of small models
 * and JavaScript ran 143 frames/s at one thread against 127 at two. Where a container's CPU limit is
 * below the CPUs it can see, set FACEREC_THREADS to the limit.
 */
export const DEFAULT_EMBEDDER_THREADS = availableParallelism();

export interface SessionOptions {
  /** Threads one inference may use; ONNX Runtime's default when unset (see DEFAULT_EMBEDDER_THREADS). */
  intraOpThreads?: number;
  /**
   * Whether idle inference threads spin-wait for work. Off, they sleep and leave the CPU to JavaScript
   * and other processes between runs. @default true (ONNX Runtime's)
   */
  spinning?: boolean;
  /**
   * ONNX Runtime graph optimisation; "all" unless given. FaceEngine measures its embedder's level on
   * first load (tunedEmbedderSession): which level is faster differs from machine to machine.
   */
  graphOptimization?: "disabled" | "basic" | "extended" | "all";
  /**
   * Execution providers in order of preference, e.g. ["cuda", "cpu"]: one that cannot load (its
   * libraries are missing, or there is no GPU) is skipped for the next, and `onFallback` is told; with
   * no provider left a ProviderError says what failed. @default ["cpu"]
   */
  executionProviders?: string[];
  /** Told when a provider could not load and the session went on with the next one. */
  onFallback?: (provider: string, reason: string, next: string) => void;
  dynamicBatch?: boolean;
  /** Also output the last layer's input as `features` (see exposeFeatures). */
  features?: boolean;
}

/** The providers onnxruntime-node can run here: `cpu` is bundled; `cuda` and `tensorrt` need the CUDA install. */
export const EXECUTION_PROVIDERS = ["cpu", "cuda", "tensorrt"] as const;

export async function createSession(path: string, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  const bytes = readFileSync(path);
  const batched = options.dynamicBatch ? makeBatchDynamic(bytes) : bytes;
  const model = options.features ? exposeFeatures(batched) : batched;
  const providers = [...(options.executionProviders ?? ["cpu"])];
  for (;;) {
    const [provider, ...rest] = providers;
    if (!provider) throw new ProviderError("no execution provider was asked for");
    try {
      return await ort.InferenceSession.create(model, {
        graphOptimizationLevel: options.graphOptimization ?? "all",
        executionProviders: [provider],
        ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
        ...(options.spinning === false ? { extra: { session: { intra_op: { allow_spinning: "0" } } } } : {}),
      });
    } catch (error) {
      const reason = (error as Error).message.split("\n")[0] ?? "";
      // Only a provider that failed to load is skipped: a model the CPU cannot run is a different error.
      if (provider === "cpu" || !/shared library|not (?:enabled|available|supported)|no .*device|cuda|tensorrt/i.test(reason))
        throw error;
      const next = rest[0];
      if (!next) {
        throw new ProviderError(
          `the ${provider} execution provider cannot run here (${reason}); install onnxruntime-node with its CUDA libraries (ONNXRUNTIME_NODE_INSTALL_CUDA) on a machine with an NVIDIA GPU, or allow the CPU (FACEREC_EXECUTION_PROVIDER=${provider},cpu)`,
        );
      }
      options.onFallback?.(provider, reason, next);
      providers.shift();
    }
  }
}

/** Run a session on one NCHW float tensor and return every output by name. */
export async function runTensor(
  session: ort.InferenceSession,
  data: Float32Array,
  dims: readonly number[],
): Promise<Record<string, ort.Tensor>> {
  const name = session.inputNames[0] as string;
  return session.run({ [name]: new ort.Tensor("float32", data, dims) });
}

export { ort };
