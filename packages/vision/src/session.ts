import { readFileSync } from "node:fs";
import ort from "onnxruntime-node";
import { makeBatchDynamic } from "./onnx-batch.js";

export interface SessionOptions {
  /** Threads one inference may use; defaults to the ONNX Runtime default (all cores). */
  intraOpThreads?: number;
  /**
   * ONNX Runtime graph optimisation; "all" unless given. FaceEngine runs its embedder at "extended":
   * "all" adds layout transforms that ran the embedder 3x slower on an AVX-512 machine here (26
   * against 80 faces/s) while gaining 15-40% on an AVX2 one (`node bench/dist/embedder.js`).
   */
  graphOptimization?: "disabled" | "basic" | "extended" | "all";
  /** Execution providers in order of preference, e.g. ["cuda", "cpu"]. */
  executionProviders?: string[];
  dynamicBatch?: boolean;
}

export async function createSession(path: string, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  const bytes = readFileSync(path);
  const model = options.dynamicBatch ? makeBatchDynamic(bytes) : bytes;
  return ort.InferenceSession.create(model, {
    graphOptimizationLevel: options.graphOptimization ?? "all",
    executionProviders: options.executionProviders ?? ["cpu"],
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
  });
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
