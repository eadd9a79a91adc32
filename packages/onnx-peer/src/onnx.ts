/**
 * Encoder of a one-graph ONNX `ModelProto` from a plain description. Field numbers are
 * those of `onnx/onnx.proto` (IR version 11, ONNX 1.18, which introduced opset 23).
 */
import { ProtoWriter } from './protobuf.js';

/** ONNX element types used here (`TensorProto.DataType`). */
export type OnnxElementType = 'float32' | 'float16' | 'int32' | 'int64';

const DATA_TYPE: Record<OnnxElementType, number> = { float32: 1, int32: 6, int64: 7, float16: 10 };

/** A graph input or output: name, element type and static dims (a string is a symbolic dim). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly type: OnnxElementType;
  readonly dims: readonly (number | string)[];
}

/** An attribute value; the ONNX attribute type is inferred (`{ ints }` / `{ floats }` for lists). */
export type OnnxAttribute =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly string: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] };

/** One node. An empty string in `inputs`/`outputs` marks an omitted optional slot. */
export interface OnnxNode {
  readonly opType: string;
  /** `''` for the default ONNX domain, `'com.microsoft'` for ORT contrib ops. */
  readonly domain?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, OnnxAttribute>>;
}

/** A whole single-graph model. */
export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  /** Opset per domain, e.g. `{ '': 23, 'com.microsoft': 1 }`. */
  readonly opsets: Readonly<Record<string, number>>;
}

/** ONNX IR version written into every model. */
export const IR_VERSION = 11;

function valueInfo(v: OnnxValueInfo): Uint8Array {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.bytes(1, dim.finish());
  }
  const tensorType = new ProtoWriter().int(1, DATA_TYPE[v.type]).bytes(2, shape.finish()).finish();
  const type = new ProtoWriter().bytes(1, tensorType).finish();
  return new ProtoWriter().string(1, v.name).bytes(2, type).finish();
}

function attribute(name: string, a: OnnxAttribute): Uint8Array {
  const w = new ProtoWriter().string(1, name);
  if ('int' in a) w.int(3, a.int).int(20, 2);
  else if ('float' in a) w.float(2, a.float).int(20, 1);
  else if ('string' in a) w.string(4, a.string).int(20, 3);
  else if ('ints' in a) w.packedInts(8, a.ints).int(20, 7);
  else w.packedFloats(7, a.floats).int(20, 6);
  return w.finish();
}

function node(n: OnnxNode, index: number): Uint8Array {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, `${n.opType}_${index}`);
  w.string(4, n.opType);
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.bytes(5, attribute(k, v));
  if (n.domain) w.string(7, n.domain);
  return w.finish();
}

/** Serialise `graph` as ModelProto bytes, ready for `InferenceSession.create`. */
export function encodeModel(graph: OnnxGraph): Uint8Array {
  const g = new ProtoWriter();
  graph.nodes.forEach((n, i) => g.bytes(1, node(n, i)));
  g.string(2, graph.name);
  for (const i of graph.inputs) g.bytes(11, valueInfo(i));
  for (const o of graph.outputs) g.bytes(12, valueInfo(o));
  const m = new ProtoWriter().int(1, IR_VERSION).string(2, '@llama-ops/onnx-peer').string(3, '0.0.0');
  m.bytes(7, g.finish());
  for (const [domain, version] of Object.entries(graph.opsets)) {
    const os = new ProtoWriter();
    if (domain) os.string(1, domain);
    os.int(2, version);
    m.bytes(8, os.finish());
  }
  return m.finish();
}
