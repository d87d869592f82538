import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const INT64 = 7;

/**
 * Rewrite an ONNX model whose batch dimension is fixed at 1 so that it takes any batch size:
 * graph inputs and outputs get a symbolic first dimension, stale intermediate shapes are dropped,
 * and Reshape targets that hard-code a leading 1 copy the batch dimension from their input instead
 * (ONNX Reshape reads 0 as "keep this dimension").
 */
export function makeBatchDynamic(model: Uint8Array): Uint8Array {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph;
  if (!graph) throw new Error("the ONNX file has no graph");
  const initialisers = new Set(graph.initializer?.map((t) => t.name));
  for (const value of [...(graph.input ?? []), ...(graph.output ?? [])]) {
    if (value.name && initialisers.has(value.name)) continue;
    const first = value.type?.tensorType?.shape?.dim?.[0];
    if (first) {
      first.dimValue = null;
      first.dimParam = "batch";
    }
  }
  graph.valueInfo = [];
  const reshapeTargets = new Set<string | null | undefined>(
    (graph.node ?? []).filter((n) => n.opType === "Reshape").map((n) => n.input?.[1]),
  );
  const constants = [
    ...(graph.initializer ?? []).filter((t) => reshapeTargets.has(t.name ?? undefined)),
    ...(graph.node ?? [])
      .filter((n) => n.opType === "Constant" && reshapeTargets.has(n.output?.[0] ?? undefined))
      .map((n) => n.attribute?.find((a) => a.name === "value")?.t),
  ];
  for (const tensor of constants) {
    if (!tensor || tensor.dataType !== INT64 || !tensor.rawData || tensor.rawData.length < 8) continue;
    const raw = Buffer.from(tensor.rawData);
    if (raw.readBigInt64LE(0) === 1n) {
      raw.writeBigInt64LE(0n, 0);
      tensor.rawData = raw;
    }
  }
  return onnx.ModelProto.encode(proto).finish();
}

/**
 * Add the input of the node that computes the model's first output (its last layer: the features the
 * classifier reads) as a second output named `features`, so a head can be learnt on them.
 */
export function exposeFeatures(model: Uint8Array): Uint8Array {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph;
  const output = graph?.output?.[0]?.name;
  const last = graph?.node?.find((n) => n.output?.includes(output ?? ""));
  const features = last?.input?.[0];
  if (!graph || !features) throw new Error("the ONNX graph has no last layer to read features from");
  graph.node?.push({ opType: "Identity", input: [features], output: ["features"] });
  graph.output?.push({ name: "features", type: { tensorType: { elemType: 1 } } });
  return onnx.ModelProto.encode(proto).finish();
}
