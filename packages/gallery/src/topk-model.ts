import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const FLOAT = 1;
const INT64 = 7;

const tensorInput = (name: string, elemType: number, dims: (number | string)[]) => ({
  name,
  type: {
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

/**
 * A two-node ONNX graph, scores = queries x galleryᵀ (Gemm) then TopK along the gallery axis, so an exact
 * search runs on ONNX Runtime's optimised GEMM instead of a JavaScript loop.
 */
export function topKModel(dims: number): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: "", version: 13 }],
    producerName: "facerec-gallery",
    graph: {
      name: "exact_topk",
      node: [
        { opType: "Gemm", input: ["queries", "gallery"], output: ["scores"], attribute: [{ name: "transB", type: 2, i: 1 }] },
        { opType: "TopK", input: ["scores", "k"], output: ["values", "indices"], attribute: [{ name: "axis", type: 2, i: -1 }] },
      ],
      input: [
        tensorInput("queries", FLOAT, ["q", dims]),
        tensorInput("gallery", FLOAT, ["n", dims]),
        tensorInput("k", INT64, [1]),
      ],
      output: [tensorInput("values", FLOAT, ["q", "k"]), tensorInput("indices", INT64, ["q", "k"])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
