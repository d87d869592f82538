import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

export interface FlopCount {
  /** Multiply-adds counted as two floating-point operations, for one input of the given shape. */
  flops: number;
  /** Operator types seen whose cost was not counted (cheap element-wise ones, usually). */
  uncounted: string[];
}

const num = (v: unknown): number => Number(v);

/**
 * Count the FLOPs of a convolutional ONNX graph for one input of `inputDims` (N, C, H, W) by walking its
 * nodes in order and propagating shapes: Conv and Gemm/MatMul are counted exactly; element-wise
 * operators (PRelu, Add, Relu, ...) cost one FLOP per output element.
 */
export function countFlops(model: Uint8Array, inputDims: number[]): FlopCount {
  const graph = onnx.ModelProto.decode(model).graph;
  if (!graph) throw new Error("no graph");
  const shapes = new Map<string, number[]>();
  for (const init of graph.initializer ?? []) shapes.set(init.name ?? "", (init.dims ?? []).map(num));
  shapes.set(graph.input?.[0]?.name ?? "", inputDims);
  let flops = 0;
  const uncounted = new Set<string>();
  const elementwise = new Set(["PRelu", "Add", "Relu", "Mul", "Sigmoid", "BatchNormalization", "Clip"]);
  for (const node of graph.node ?? []) {
    const input = shapes.get(node.input?.[0] ?? "") ?? [];
    const attr = (name: string): number[] => {
      const a = node.attribute?.find((x) => x.name === name);
      return a ? (a.ints?.length ? a.ints.map(num) : [num(a.i)]) : [];
    };
    let out: number[] = input;
    if (node.opType === "Conv") {
      const weight = shapes.get(node.input?.[1] ?? "") ?? [];
      const [n = 1, , h = 0, w = 0] = input;
      const [cout = 0, cinPerGroup = 0, kh = 1, kw = 1] = weight;
      const [sh = 1, sw = 1] = attr("strides");
      const [pt = 0, pl = 0, pb = 0, pr = 0] = attr("pads");
      const [dh = 1, dw = 1] = attr("dilations");
      const ho = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh + 1);
      const wo = Math.floor((w + pl + pr - dw * (kw - 1) - 1) / sw + 1);
      out = [n, cout, ho, wo];
      flops += 2 * n * cout * ho * wo * cinPerGroup * kh * kw;
    } else if (node.opType === "Gemm" || node.opType === "MatMul") {
      const weight = shapes.get(node.input?.[1] ?? "") ?? [];
      const k = input.at(-1) ?? 0;
      const transB = node.opType === "Gemm" && attr("transB")[0] === 1;
      const m = transB ? (weight[0] ?? 0) : (weight.at(-1) ?? 0);
      out = [...input.slice(0, -1), m];
      flops += 2 * out.reduce((a, b) => a * b, 1) * k;
    } else if (elementwise.has(node.opType ?? "")) {
      flops += input.reduce((a, b) => a * b, 1);
    } else {
      uncounted.add(node.opType ?? "?");
    }
    for (const o of node.output ?? []) shapes.set(o, out);
  }
  return { flops, uncounted: [...uncounted] };
}

/** Peak single-precision FLOP/s of this machine's cores: cores x clock x FLOPs per cycle (from the SIMD flags). */
export function cpuPeak(cpuinfo: string, cores: number): { gflops: number; basis: string } {
  const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(cpuinfo)?.[1] ?? 2000);
  const flags = /flags\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "";
  // Two FMA units per core: AVX-512 does 2 x 16 x 2, AVX2+FMA 2 x 8 x 2 single-precision FLOPs a cycle.
  const perCycle = flags.includes("avx512f") ? 64 : flags.includes("fma") ? 32 : 8;
  return {
    gflops: (cores * mhz * perCycle) / 1000,
    basis: `${cores} cores x ${mhz.toFixed(0)} MHz x ${perCycle} FLOP/cycle (${perCycle === 64 ? "AVX-512" : perCycle === 32 ? "AVX2+FMA" : "SSE"})`,
  };
}
