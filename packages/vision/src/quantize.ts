import onnxProto from "onnx-proto";
import { ort } from "./session.js";

const { onnx } = onnxProto;
type Tensor = onnxProto.onnx.ITensorProto;
type Node = onnxProto.onnx.INodeProto;

const FLOAT = 1;
const UINT8 = 2;
const INT8 = 3;
const INT32 = 6;
const INT_ATTRIBUTE = 2;
/** QuantizeLinear and DequantizeLinear take a per-channel `axis` from opset 13. */
const QDQ_OPSET = 13;

export interface QuantizeOptions {
  /**
   * Convolutions left in float, by their place among the model's Conv nodes (0 the first, -1 the last):
   * the layers whose rounding costs the most accuracy.
   */
  keepFloat?: number[];
}

/** The range each activation took over the calibration inputs: [low, high]. */
export type ActivationRanges = Map<string, [number, number]>;

/**
 * How much of each activation's distribution its int8 range covers; 1 takes the exact extremes seen
 * (min/max, ONNX Runtime's own default method). On LFW View 1 (`facerec eval lfw`, 300 faces of
 * peopleDevTrain) min/max gave 99.20% against fp32's 99.30%; the 99.99% quantile clipped the rare large
 * activations and gave 98.90%, and leaving the first and last convolutions or the depthwise ones in
 * float did not do better (98.70-98.90%). @default 1
 */
export const CALIBRATION_QUANTILE = 1;

/** Values of each activation kept per calibration input for its quantiles. */
const SAMPLES_PER_INPUT = 1024;

const floats = (t: Tensor): Float32Array => {
  if (t.floatData?.length) return Float32Array.from(t.floatData);
  const raw = t.rawData as Uint8Array;
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
};

const tensor = (name: string, dataType: number, dims: number[], bytes: ArrayBufferView): Tensor => ({
  name,
  dataType,
  dims,
  rawData: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
});

/** The inputs of the nodes whose activations are quantised: every Conv's data input and output, and Add's. */
function quantisedActivations(graph: onnxProto.onnx.IGraphProto): Set<string> {
  const constants = new Set((graph.initializer ?? []).map((t) => t.name as string));
  const names = new Set<string>();
  for (const node of graph.node ?? []) {
    if (node.opType === "Conv") {
      names.add(node.input?.[0] as string);
      names.add(node.output?.[0] as string);
    } else if (node.opType === "Add") {
      for (const input of node.input ?? []) if (!constants.has(input)) names.add(input);
      names.add(node.output?.[0] as string);
    }
  }
  return names;
}

/**
 * Run the fp32 model on the calibration inputs (each one sample of shape `dims`, [1, C, H, W]) with
 * every activation it quantises made an output, and keep each one's range: the low and high quantile of its
 * values over all inputs (`quantile`; 0 always inside, so that zero is exact).
 */
export async function calibrate(
  model: Uint8Array,
  inputs: readonly Float32Array[],
  dims: number[],
  quantile = CALIBRATION_QUANTILE,
): Promise<ActivationRanges> {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph as onnxProto.onnx.IGraphProto;
  const names = [...quantisedActivations(graph)];
  graph.output = names.map((name) => ({ name, type: { tensorType: { elemType: FLOAT } } }));
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(proto).finish());
  const inputName = session.inputNames[0] as string;
  // Below a quantile of 1, per activation a sample of its values: an even stride through each input's
  // map, at most SAMPLES_PER_INPUT of them (300 faces x 110 activations stay near 130 MB).
  const sampled = quantile < 1;
  const samples = new Map(names.map((n) => [n, new Float32Array(sampled ? inputs.length * SAMPLES_PER_INPUT : 0)]));
  const filled = new Map(names.map((n) => [n, 0]));
  // The exact extremes: a strided sample misses the few largest values a quantile of 1 must keep.
  const extremes = new Map(names.map((n) => [n, [0, 0] as [number, number]]));
  for (const input of inputs) {
    const out = await session.run({ [inputName]: new ort.Tensor("float32", input, dims) });
    for (const name of names) {
      const data = out[name]?.data as Float32Array;
      if (sampled) {
        const stride = Math.max(1, Math.ceil(data.length / SAMPLES_PER_INPUT));
        const kept = samples.get(name) as Float32Array;
        let at = filled.get(name) as number;
        for (let i = 0; i < data.length; i += stride) kept[at++] = data[i] as number;
        filled.set(name, at);
      }
      const range = extremes.get(name) as [number, number];
      for (const v of data) {
        if (v < range[0]) range[0] = v;
        else if (v > range[1]) range[1] = v;
      }
    }
  }
  await session.release();
  const ranges: ActivationRanges = new Map();
  for (const [name, all] of samples) {
    if (!sampled) {
      ranges.set(name, extremes.get(name) as [number, number]);
      continue;
    }
    const values = all.subarray(0, filled.get(name)).sort();
    const at = (q: number) => values[Math.min(values.length - 1, Math.floor(q * (values.length - 1)))] as number;
    ranges.set(name, [Math.min(0, at(1 - quantile)), Math.max(0, at(quantile))]);
  }
  return ranges;
}

/**
 * Static int8 quantisation in QDQ form, which ONNX Runtime fuses into QLinearConv and QLinearAdd:
 * weights int8, symmetric, one scale per output channel; biases int32 at the input scale times the
 * weight's; activations uint8 with the calibrated ranges. Operators other than Conv and Add (PRelu,
 * Reshape) run in float between a DequantizeLinear and a QuantizeLinear. The opset goes to 13 (per-
 * channel DequantizeLinear); the operators of these models mean the same there.
 */
export function quantizeQdq(model: Uint8Array, ranges: ActivationRanges, options: QuantizeOptions = {}): Uint8Array {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph as onnxProto.onnx.IGraphProto;
  const convs = (graph.node ?? []).filter((n) => n.opType === "Conv");
  const keep = new Set((options.keepFloat ?? []).map((i) => convs.at(i)));
  const initialisers = new Map((graph.initializer ?? []).map((t) => [t.name as string, t]));
  const added: Tensor[] = [];
  const replaced = new Set<string>();
  const nodes: Node[] = [];
  const dequantised = new Map<string, string>();
  const scales = new Map<string, number>();

  /** Quantise and dequantise activation `name` once; its consumers read the DequantizeLinear output. */
  const qdq = (name: string): string => {
    const known = dequantised.get(name);
    if (known) return known;
    const range = ranges.get(name);
    if (!range) throw new Error(`no calibrated range for activation ${name}`);
    const scale = Math.max(range[1] - range[0], 1e-8) / 255;
    const zero = Math.min(255, Math.max(0, Math.round(-range[0] / scale)));
    scales.set(name, scale);
    added.push(
      tensor(`${name}_scale`, FLOAT, [], Float32Array.of(scale)),
      tensor(`${name}_zero`, UINT8, [], Uint8Array.of(zero)),
    );
    const params = [`${name}_scale`, `${name}_zero`];
    nodes.push({ opType: "QuantizeLinear", name: `${name}_Q`, input: [name, ...params], output: [`${name}_q`] });
    nodes.push({ opType: "DequantizeLinear", name: `${name}_DQ`, input: [`${name}_q`, ...params], output: [`${name}_dq`] });
    dequantised.set(name, `${name}_dq`);
    return `${name}_dq`;
  };

  /** A constant per output channel, stored quantised and dequantised along axis 0 in the graph. */
  const perChannel = (name: string, type: number, values: ArrayBufferView, channelScales: Float32Array, dims: number[]) => {
    const channels = channelScales.length;
    const zeros = type === INT8 ? new Int8Array(channels) : new Int32Array(channels);
    added.push(
      tensor(`${name}_q`, type, dims, values),
      tensor(`${name}_scale`, FLOAT, [channels], channelScales),
      tensor(`${name}_zero`, type, [channels], zeros),
    );
    nodes.push({
      opType: "DequantizeLinear",
      name: `${name}_DQ`,
      input: [`${name}_q`, `${name}_scale`, `${name}_zero`],
      output: [`${name}_dq`],
      attribute: [{ name: "axis", type: INT_ATTRIBUTE, i: 0 }],
    });
    replaced.add(name);
    return `${name}_dq`;
  };

  for (const node of graph.node ?? []) {
    const inputs = [...(node.input ?? [])];
    const quantised = node.opType === "Add" || (node.opType === "Conv" && !keep.has(node));
    if (!quantised) {
      for (const [i, input] of inputs.entries()) inputs[i] = dequantised.get(input) ?? input;
    } else if (node.opType === "Conv") {
      inputs[0] = qdq(inputs[0] as string);
      const weight = initialisers.get(inputs[1] as string);
      if (!weight) throw new Error(`Conv ${node.name}: its weight is not a constant`);
      const w = floats(weight);
      const dims = (weight.dims ?? []).map(Number);
      const channels = dims[0] as number;
      const per = w.length / channels;
      const wScales = new Float32Array(channels);
      const wq = new Int8Array(w.length);
      for (let c = 0; c < channels; c++) {
        let max = 0;
        for (let i = 0; i < per; i++) max = Math.max(max, Math.abs(w[c * per + i] as number));
        const s = Math.max(max, 1e-8) / 127;
        wScales[c] = s;
        for (let i = 0; i < per; i++) wq[c * per + i] = Math.round((w[c * per + i] as number) / s);
      }
      inputs[1] = perChannel(inputs[1] as string, INT8, wq, wScales, dims);
      const bias = inputs[2] ? initialisers.get(inputs[2]) : undefined;
      if (bias) {
        const b = floats(bias);
        const inputScale = scales.get(node.input?.[0] as string) as number;
        const bScales = wScales.map((s) => s * inputScale);
        const bq = Int32Array.from(b, (v, c) => Math.round(v / (bScales[c] as number)));
        inputs[2] = perChannel(inputs[2] as string, INT32, bq, bScales, [channels]);
      }
    } else {
      for (const [i, input] of inputs.entries()) if (!initialisers.has(input)) inputs[i] = qdq(input);
    }
    nodes.push({ ...node, input: inputs });
    // Quantised right after it is made, so that a Conv is followed by its QuantizeLinear (the fused pattern).
    if (quantised) qdq(node.output?.[0] as string);
  }
  graph.node = nodes;
  graph.initializer = [...(graph.initializer ?? []).filter((t) => !replaced.has(t.name as string)), ...added];
  proto.opsetImport = [{ domain: "", version: QDQ_OPSET }];
  return onnx.ModelProto.encode(proto).finish();
}
