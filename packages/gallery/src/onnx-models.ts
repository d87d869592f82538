import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const FLOAT = 1;
const UINT8 = 2;
const INT8 = 3;
const INT32 = 6;
const INT64 = 7;
const INT_ATTRIBUTE = 2;

const tensorInput = (name: string, elemType: number, dims: (number | string)[]) => ({
  name,
  type: {
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

function model(name: string, graph: onnxProto.onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 7,
      opsetImport: [{ domain: "", version: 13 }],
      producerName: "facerec-gallery",
      graph: { name, ...graph },
    }),
  ).finish();
}

/**
 * A two-node ONNX graph, scores = queries x galleryᵀ (Gemm) then TopK along the gallery axis, so an exact
 * search runs on ONNX Runtime's optimised GEMM instead of a JavaScript loop.
 */
export function topKModel(dims: number): Uint8Array {
  return model("exact_topk", {
    node: [
      {
        opType: "Gemm",
        input: ["queries", "gallery"],
        output: ["scores"],
        attribute: [{ name: "transB", type: INT_ATTRIBUTE, i: 1 }],
      },
      {
        opType: "TopK",
        input: ["scores", "k"],
        output: ["values", "indices"],
        attribute: [{ name: "axis", type: INT_ATTRIBUTE, i: -1 }],
      },
    ],
    input: [tensorInput("queries", FLOAT, ["q", dims]), tensorInput("gallery", FLOAT, ["n", dims]), tensorInput("k", INT64, [1])],
    output: [tensorInput("values", FLOAT, ["q", "k"]), tensorInput("indices", INT64, ["q", "k"])],
  });
}

/** c = a x b, for the code index's projections and covariance (ONNX Runtime's GEMM, not a JavaScript loop). */
export function matMulModel(): Uint8Array {
  return model("matmul", {
    node: [{ opType: "MatMul", input: ["a", "b"], output: ["c"] }],
    input: [tensorInput("a", FLOAT, ["m", "k"]), tensorInput("b", FLOAT, ["k", "n"])],
    output: [tensorInput("c", FLOAT, ["m", "n"])],
  });
}

/**
 * The code index's scan: every row's 8-bit code (stored offset by 128) against the query's, as one
 * integer matrix-vector product (MatMulInteger, whose u8 x s8 kernels use VNNI where the CPU has it),
 * then the best `k` rows. Integer scores need no cast: TopK ranks int32 as it is.
 */
export function codeScanModel(codeDims: number): Uint8Array {
  return model("code_scan", {
    node: [
      { opType: "MatMulInteger", input: ["codes", "query", "zero"], output: ["dots"] },
      { opType: "Reshape", input: ["dots", "row"], output: ["scores"] },
      {
        opType: "TopK",
        input: ["scores", "k"],
        output: ["values", "indices"],
        attribute: [{ name: "axis", type: INT_ATTRIBUTE, i: -1 }],
      },
    ],
    initializer: [
      { name: "zero", dataType: UINT8, dims: [], rawData: Uint8Array.from([128]) },
      { name: "row", dataType: INT64, dims: [2], int64Data: [1, -1] },
    ],
    input: [
      tensorInput("codes", UINT8, ["n", codeDims]),
      tensorInput("query", INT8, [codeDims, 1]),
      tensorInput("k", INT64, [1]),
    ],
    output: [tensorInput("values", INT32, [1, "k"]), tensorInput("indices", INT64, [1, "k"])],
  });
}
