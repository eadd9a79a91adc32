/**
 * The ORT peers as contenders: one-node ONNX models built in memory by
 * `@llama-ops/onnx-peer`, one session per row, feeds made into runtime tensors once, and
 * `await runner.run(prepared)` timed. onnxruntime-web runs its WASM EP inside Node;
 * onnxruntime-node its native CPU EP.
 *
 * Ops: RMSNormalization (opset 23), com.microsoft.SkipSimplifiedLayerNormalization
 * (add+RMSNorm), RotaryEmbedding (opset 23, bshd as 3D, position-id caches) and, on
 * attention rows, ONNX Attention (opset 23) as the main peer plus com.microsoft.
 * GroupQueryAttention as a second column (`<peer>-gqa`), which re-concatenates the past
 * cache into `present_*` on every call, as ORT's decode loop does.
 */
import { reasonOf, type Contender, type RowSession } from './contender.js';
import type { ContenderInfo, PeerName } from './report.js';
import type { BenchRow, BenchSize, RowInputs } from './rows.js';

type OnnxPeer = typeof import('@llama-ops/onnx-peer');
type Core = typeof import('@llama-ops/core');

/** The CPU peers, measured by default on the default rows. */
export const PEER_NAMES: readonly PeerName[] = ['ort-web', 'ort-node'];

/** Every peer runBench knows: the CPU peers and onnxruntime-web's WebGPU EP (`ort-webgpu`, see peer-webgpu.ts). */
export const KNOWN_PEERS: readonly PeerName[] = ['ort-web', 'ort-node', 'ort-webgpu'];

/** The peers measured by default on each row set: the CPU peers on `default`, ORT's WebGPU EP on `gpu`. */
export function defaultPeers(size: BenchSize): PeerName[] {
  // The long decode rows compare wasm with the memory, not with ORT.
  if (size === 'long') return [];
  return size === 'gpu' ? ['ort-webgpu'] : [...PEER_NAMES];
}

type CpuPeerName = 'ort-web' | 'ort-node';
const RUNTIME: Record<CpuPeerName, 'web' | 'node'> = { 'ort-web': 'web', 'ort-node': 'node' };
const PACKAGE: Record<CpuPeerName, string> = { 'ort-web': 'onnxruntime-web', 'ort-node': 'onnxruntime-node' };

/** A one-node model of a row, its feeds, and the outputs compared with the reference. */
export interface PeerModel {
  opName: string;
  model: import('@llama-ops/onnx-peer').OnnxModel;
  feeds: import('@llama-ops/onnx-peer').OrtFeeds;
  /** Outputs compared and checksummed, in our op's output order. */
  outputs: string[];
}

/**
 * The ONNX model and feeds of `row` (`gqaOp` picks Attention or GroupQueryAttention on
 * attention rows), in the row's storage dtype (float16 feeds are the f16-exact inputs' bits).
 */
export function buildModel(peer: OnnxPeer, core: Core, row: BenchRow, inputs: RowInputs, gqaOp: 'Attention' | 'GroupQueryAttention'): PeerModel {
  const p = row.params;
  const dtype = row.dtype === 'f16' ? 'float16' : 'float32';
  const fl = row.dtype === 'f16' ? peer.f16 : peer.f32;
  if (p.kind === 'rmsnorm' && inputs.kind === 'rmsnorm') {
    const shape = [p.rows, p.hidden];
    if (inputs.residual) {
      return {
        opName: 'SkipSimplifiedLayerNormalization',
        model: peer.skipSimplifiedLayerNormModel({ shape, epsilon: p.eps, dtype }),
        feeds: { input: fl(inputs.x, shape), skip: fl(inputs.residual, shape), gamma: fl(inputs.weight, [p.hidden]) },
        outputs: ['output', 'input_skip_bias_sum'],
      };
    }
    return {
      opName: 'RMSNormalization',
      model: peer.rmsNormalizationModel({ shape, epsilon: p.eps, dtype }),
      feeds: { X: fl(inputs.x, shape), scale: fl(inputs.weight, [p.hidden]) },
      outputs: ['Y'],
    };
  }
  if (p.kind === 'rope' && inputs.kind === 'rope') {
    const maxPositions = p.start + p.seq;
    // Same float64 frequencies core uses, so outputs agree to rounding.
    const freq = core.ropeFrequencies(p.headDim, p.theta, { type: 'default' }, maxPositions - 1);
    const { cos, sin } = peer.rotaryCaches(
      freq.invFreq,
      Array.from({ length: maxPositions }, (_, i) => i),
      freq.attentionFactor,
    );
    const half = p.headDim / 2;
    return {
      opName: 'RotaryEmbedding',
      model: peer.rotaryEmbeddingModel({
        batch: p.batch,
        seq: p.seq,
        heads: p.heads,
        headDim: p.headDim,
        cache: { kind: 'positionIds', maxPositions },
        dtype,
      }),
      feeds: {
        X: fl(inputs.x, [p.batch, p.seq, p.heads * p.headDim]),
        cos_cache: fl(cos, [maxPositions, half]),
        sin_cache: fl(sin, [maxPositions, half]),
        position_ids: peer.i64(
          Array.from({ length: p.batch * p.seq }, (_, i) => p.start + (i % p.seq)),
          [p.batch, p.seq],
        ),
      },
      outputs: ['Y'],
    };
  }
  if (p.kind === 'gqa' && inputs.kind === 'gqa') {
    if (gqaOp === 'GroupQueryAttention') {
      const { feeds, pastLength } = peer.gqaFeeds({
        q: inputs.q,
        k: inputs.k,
        v: inputs.v,
        batch: p.batch,
        seqQ: p.seqQ,
        seqKV: p.seqKV,
        headsQ: p.headsQ,
        headsKV: p.headsKV,
        headDim: p.headDim,
        kvLength: p.kvLength,
        dtype,
      });
      return {
        opName: 'GroupQueryAttention',
        model: peer.groupQueryAttentionModel({ batch: p.batch, seqQ: p.seqQ, pastLength, headsQ: p.headsQ, headsKV: p.headsKV, headDim: p.headDim, dtype }),
        feeds,
        outputs: ['output'],
      };
    }
    // ONNX is_causal is top-left aligned: prefill is square (same thing), and one decode
    // query at the end of the cache sees every key, so decode runs non-causal.
    if (p.kvLength.some((l) => l !== p.seqKV)) {
      throw new Error('ragged kvLength: ONNX Attention would need an attention mask, which this peer does not build (see the GroupQueryAttention column)');
    }
    return {
      opName: 'Attention',
      model: peer.attentionModel({
        batch: p.batch,
        seqQ: p.seqQ,
        seqKV: p.seqKV,
        headsQ: p.headsQ,
        headsKV: p.headsKV,
        headDim: p.headDim,
        causal: p.causal && p.seqQ > 1,
        dtype,
      }),
      feeds: {
        Q: fl(inputs.q, [p.batch, p.seqQ, p.headsQ * p.headDim]),
        K: fl(inputs.k, [p.batch, p.seqKV, p.headsKV * p.headDim]),
        V: fl(inputs.v, [p.batch, p.seqKV, p.headsKV * p.headDim]),
      },
      outputs: ['Y'],
    };
  }
  throw new Error(`row ${row.id}: inputs of kind ${inputs.kind} do not match params of kind ${p.kind}`);
}

/** A JS-in, JS-out decode step row (q and the new key rotated before attention). */
function isDecodeStep(row: BenchRow): boolean {
  return row.io === 'js' && row.params.kind === 'gqa' && row.params.rotary !== undefined;
}

/**
 * ORT's decode step from the caller's packed `[q | k | v]` of one token: RotaryEmbedding on q
 * and on k (position ids into cos/sin caches), then GroupQueryAttention with the past cache
 * (BNSH) as input, the way ORT's decode loop feeds `present_*` back as `past_*`. Each call
 * makes its input tensors from JS arrays and receives the outputs as JS arrays.
 */
async function decodeStepSession(
  peer: OnnxPeer,
  core: Core,
  runtime: 'web' | 'node',
  threads: number,
  row: BenchRow,
  inputs: RowInputs,
): Promise<RowSession> {
  const p = row.params;
  if (p.kind !== 'gqa' || inputs.kind !== 'gqa' || !p.rotary || p.batch !== 1 || p.seqQ !== 1) {
    throw new Error(`row ${row.id}: the ORT decode step takes batch 1, one query, and a rotary base`);
  }
  const { headsQ, headsKV, headDim } = p;
  const length = p.kvLength[0];
  const position = length - 1;
  const freq = core.ropeFrequencies(headDim, p.rotary.theta, { type: 'default' }, position);
  const { cos, sin } = peer.rotaryCaches(
    freq.invFreq,
    Array.from({ length }, (_, i) => i),
    freq.attentionFactor,
  );
  const half = headDim / 2;
  const ropeModel = (heads: number) =>
    peer.rotaryEmbeddingModel({ batch: 1, seq: 1, heads, headDim, cache: { kind: 'positionIds', maxPositions: length } });
  const { feeds: gqaFeeds, pastLength } = peer.gqaFeeds({ ...inputs, ...p, seqKV: p.seqKV, kvLength: p.kvLength, dtype: 'float32' });
  const runners = await Promise.all([
    peer.createOrtRunner({ runtime, model: ropeModel(headsQ), threads }),
    peer.createOrtRunner({ runtime, model: ropeModel(headsKV), threads }),
    peer.createOrtRunner({ runtime, model: peer.groupQueryAttentionModel({ batch: 1, seqQ: 1, pastLength, headsQ, headsKV, headDim }), threads }),
  ]);
  const [ropeQ, ropeK, attention] = runners;
  const tables = {
    cos_cache: peer.f32(cos, [length, half]),
    sin_cache: peer.f32(sin, [length, half]),
    position_ids: peer.i64([position], [1, 1]),
  };
  // The caller's projection output of the new token (gqaFeeds put the cache's last entry in key/value).
  const q = inputs.q;
  const k = gqaFeeds.key.data as Float32Array;
  const v = gqaFeeds.value.data as Float32Array;
  const step = async (): Promise<Float32Array> => {
    const { Y: qRotated } = await ropeQ.run({ X: peer.f32(q, [1, 1, headsQ * headDim]), ...tables });
    const { Y: kRotated } = await ropeK.run({ X: peer.f32(k, [1, 1, headsKV * headDim]), ...tables });
    const out = await attention.run({ ...gqaFeeds, query: qRotated, key: kRotated, value: peer.f32(v, [1, 1, headsKV * headDim]) });
    return peer.toFloat32(out.output);
  };
  return {
    opName: 'RotaryEmbedding ×2 + GroupQueryAttention',
    call: async () => {
      await step();
    },
    outputs: async () => [await step()],
    release: async () => {
      for (const r of runners) await r.release();
    },
  };
}

async function runtimeVersion(name: string): Promise<string | null> {
  try {
    const mod = (await import(/* @vite-ignore */ name)) as { env?: { versions?: Record<string, string> }; default?: { env?: { versions?: Record<string, string> } } };
    const versions = mod.env?.versions ?? mod.default?.env?.versions;
    return versions?.web ?? versions?.node ?? versions?.common ?? null;
  } catch {
    return null;
  }
}

/**
 * Create the contenders of peer `name` (`<name>` and `<name>-gqa`), or unavailable infos with
 * the reason (onnx-peer or the runtime not installed, a session cannot be created...).
 * onnxruntime-web fixes its thread count at its first session in the process; when that
 * differs from `threads`, the count in force is reported.
 */
export async function createPeerContenders(name: CpuPeerName, threads: number): Promise<Array<Contender | ContenderInfo>> {
  const runtime = RUNTIME[name];
  const pkg = PACKAGE[name];
  const ids = [name, `${name}-gqa`];
  const skipAll = (reason: string): ContenderInfo[] =>
    ids.map((id) => ({ id, kind: 'peer', label: id, available: false, reason, timing: 'wall', notes: [] }));
  let peer: OnnxPeer;
  let core: Core;
  try {
    peer = await import('@llama-ops/onnx-peer');
    core = await import('@llama-ops/core');
  } catch (err) {
    return skipAll(`@llama-ops/onnx-peer cannot be loaded (${reasonOf(err)})`);
  }
  // Probe: a session of a tiny model tells whether the runtime loads here, and its threads.
  let threadsInForce: number | undefined;
  try {
    const probe = await peer.createOrtRunner({ runtime, model: peer.rmsNormalizationModel({ shape: [1, 8] }), threads });
    threadsInForce = probe.threads;
    await probe.release();
  } catch (err) {
    return skipAll(`${pkg} is not available (${reasonOf(err)})`);
  }
  const version = await runtimeVersion(pkg);
  const ep = runtime === 'web' ? 'WASM EP' : 'native CPU EP';
  const notes: string[] = [];
  if (threadsInForce !== undefined && threadsInForce !== threads) {
    notes.push(`${threadsInForce} thread(s) in force: onnxruntime-web fixes its thread count at the first session of the process`);
  }
  const make = (id: string, gqaOp: 'Attention' | 'GroupQueryAttention'): Contender => {
    const info: ContenderInfo = {
      id,
      kind: 'peer',
      label: `${pkg}${version ? ` ${version}` : ''} (${ep}${gqaOp === 'GroupQueryAttention' ? ', GroupQueryAttention' : ''}, ${threadsInForce ?? 'default'} thread${threadsInForce === 1 ? '' : 's'})`,
      available: true,
      threads: threadsInForce,
      timing: 'wall',
      notes: [...notes],
    };
    return {
      info,
      // The decode step is ORT's decode path: RotaryEmbedding + GroupQueryAttention (`-gqa`).
      appliesTo: (row) => (row.op === 'gqa' ? gqaOp === 'GroupQueryAttention' || !isDecodeStep(row) : gqaOp === 'Attention'),
      async prepare(row, inputs): Promise<RowSession> {
        if (isDecodeStep(row)) return decodeStepSession(peer, core, runtime, threads, row, inputs);
        const m = buildModel(peer, core, row, inputs, gqaOp);
        const runner = await peer.createOrtRunner({ runtime, model: m.model, threads });
        const prepared = runner.prepare(m.feeds);
        // JS in, JS out: the runtime tensors are made from the caller's arrays on every call
        // (run() wraps plain feeds), and the outputs arrive as JS arrays.
        const feeds = row.io === 'js' ? m.feeds : prepared;
        return {
          opName: m.opName,
          call: async () => {
            await runner.run(feeds);
          },
          async outputs() {
            const out = await runner.run(prepared);
            return m.outputs.map((o) => {
              const t = out[o];
              if (!t) throw new Error(`${m.opName} returned no output ${o}`);
              return peer.toFloat32(t);
            });
          },
          release: () => runner.release(),
        };
      },
      dispose: () => {},
    };
  };
  return [make(name, 'Attention'), make(`${name}-gqa`, 'GroupQueryAttention')];
}
