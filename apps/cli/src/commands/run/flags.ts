/**
 * `llama-ops run`'s flags: the ops, each group of flags and which op takes which, the
 * inputs and outputs each op names, and the help text.
 */
import { DEFAULT_RMSNORM_EPS, DEFAULT_ROPE_THETA } from '@llama-ops/core';
import type { FlagSpecs } from '../../args.js';
import { fmtParam } from '../../format.js';
import { renderHelp } from '../../help.js';

export const RUN_OPS = ['rmsnorm', 'add-rmsnorm', 'rope', 'gqa'] as const;
export type RunOp = (typeof RUN_OPS)[number];

export const IO_FLAGS: FlagSpecs = {
  shape: { type: 'string', value: 'DIMS', help: 'input shape, e.g. 4,4096 (rmsnorm) or 1,16,32,128 (rope: batch,seq,heads,headDim)' },
  seed: { type: 'string', value: 'N', help: 'seed of the random inputs', defaultText: '1' },
  input: { type: 'string', multiple: true, value: 'NAME=FILE', help: 'read an input from a float32 .npy file (repeatable), e.g. q=q.npy' },
  out: { type: 'string', multiple: true, value: '[NAME=]FILE', help: 'write an output as .npy (repeatable; NAME is y or sum for add-rmsnorm)' },
  dtype: { type: 'string', value: 'f32|f16', help: 'storage dtype on the backend', defaultText: 'f32' },
  check: { type: 'boolean', help: 'compare with the float64 reference against the SPEC tolerance (exit 1 on failure)' },
  repeat: { type: 'string', value: 'N', help: 'timed runs after one warm-up run (median reported)', defaultText: '5' },
};

export const RMSNORM_FLAGS: FlagSpecs = {
  eps: { type: 'string', value: 'X', help: 'added to the mean square', defaultText: fmtParam(DEFAULT_RMSNORM_EPS) },
  'weight-offset': { type: 'string', value: 'X', help: 'scale is weight + offset (1 for Gemma)', defaultText: '0' },
  residual: { type: 'boolean', help: 'rmsnorm: add a random residual before normalising' },
};

export const ROPE_FLAGS: FlagSpecs = {
  positions: { type: 'string', value: 'P0|LIST', help: 'start position, or batch*seq explicit positions (1,5,9,...)', defaultText: '0' },
  theta: { type: 'string', value: 'X', help: 'frequency base (Llama 3: 500000)', defaultText: fmtParam(DEFAULT_ROPE_THETA) },
  'rotary-dim': { type: 'string', value: 'N', help: 'rotated dims (even, <= headDim); the rest pass through', defaultText: 'headDim' },
  interleaved: { type: 'boolean', help: "pair (2i, 2i+1) (Meta's Llama, GPT-J) instead of (i, i+rotaryDim/2)" },
  'in-place': { type: 'boolean', help: 'rotate the input tensor in place' },
};

export const SCALING_FLAGS: FlagSpecs = {
  'rope-scaling': { type: 'string', value: 'TYPE', help: 'default | linear | dynamic | llama3 | yarn | longrope', defaultText: 'default' },
  factor: { type: 'string', value: 'X', help: 'linear, dynamic, llama3, yarn: scaling factor' },
  'low-freq-factor': { type: 'string', value: 'X', help: 'llama3' },
  'high-freq-factor': { type: 'string', value: 'X', help: 'llama3' },
  'original-max-position-embeddings': { type: 'string', value: 'N', help: 'llama3, yarn, longrope' },
  'max-position-embeddings': { type: 'string', value: 'N', help: 'dynamic, longrope' },
  'beta-fast': { type: 'string', value: 'X', help: 'yarn', defaultText: '32' },
  'beta-slow': { type: 'string', value: 'X', help: 'yarn', defaultText: '1' },
  'attention-factor': { type: 'string', value: 'X', help: 'yarn, longrope: override the attention factor' },
  mscale: { type: 'string', value: 'X', help: 'yarn' },
  'mscale-all-dim': { type: 'string', value: 'X', help: 'yarn' },
  truncate: { type: 'boolean', negatable: true, help: 'yarn: round the correction range', defaultText: 'on' },
  'short-factor': { type: 'string', value: 'LIST', help: 'longrope: rotaryDim/2 factors' },
  'long-factor': { type: 'string', value: 'LIST', help: 'longrope: rotaryDim/2 factors' },
};

export const GQA_FLAGS: FlagSpecs = {
  batch: { type: 'string', value: 'N', help: 'batch size', defaultText: '1' },
  heads: { type: 'string', value: 'N', help: 'query heads Hq', defaultText: '32' },
  'kv-heads': { type: 'string', value: 'N', help: 'key/value heads Hkv (divides Hq)', defaultText: '8' },
  'head-dim': { type: 'string', value: 'N', help: 'head dim d', defaultText: '64' },
  'head-dim-v': { type: 'string', value: 'N', help: 'value head dim', defaultText: 'head-dim' },
  'seq-q': { type: 'string', value: 'N', help: 'query positions', defaultText: '16' },
  'seq-kv': { type: 'string', value: 'N', help: 'key/value positions', defaultText: '64' },
  scale: { type: 'string', value: 'X', help: 'score scale', defaultText: '1/sqrt(d)' },
  causal: { type: 'boolean', negatable: true, help: 'causal masking', defaultText: 'on' },
  'kv-length': { type: 'string', value: 'N|LIST', help: 'valid keys, scalar or per batch', defaultText: 'seq-kv' },
  'query-offset': { type: 'string', value: 'N|LIST', help: 'absolute position of query 0', defaultText: 'kv-length - seq-q' },
  window: { type: 'string', value: 'N', help: 'sliding window: keys p-window < j <= p' },
  softcap: { type: 'string', value: 'X', help: 'score = softcap * tanh(score / softcap) (Gemma 2)' },
  sinks: { type: 'boolean', help: 'random per-head sink logits (or --input sinks=FILE)' },
  mask: { type: 'boolean', help: 'random additive mask [batch, 1, seq-q, seq-kv] with some -inf (or --input mask=FILE)' },
};

/** The RoPE scaling types, and the scaling flags each one takes. */
export const SCALING_PARAMS: Record<string, readonly string[]> = {
  default: [],
  linear: ['factor'],
  dynamic: ['factor', 'max-position-embeddings'],
  llama3: ['factor', 'low-freq-factor', 'high-freq-factor', 'original-max-position-embeddings'],
  yarn: ['factor', 'original-max-position-embeddings', 'beta-fast', 'beta-slow', 'attention-factor', 'mscale', 'mscale-all-dim', 'truncate'],
  longrope: ['short-factor', 'long-factor', 'original-max-position-embeddings', 'max-position-embeddings', 'attention-factor'],
};

/** Which op-specific flags apply to which op (the I/O flags apply to all). */
export const OP_FLAGS: Record<RunOp, string[]> = {
  rmsnorm: [...Object.keys(RMSNORM_FLAGS)],
  'add-rmsnorm': ['eps', 'weight-offset'],
  rope: [...Object.keys(ROPE_FLAGS), ...Object.keys(SCALING_FLAGS)],
  gqa: [...Object.keys(GQA_FLAGS)],
};

export const OP_INPUTS: Record<RunOp, string[]> = {
  rmsnorm: ['x', 'weight', 'residual'],
  'add-rmsnorm': ['x', 'residual', 'weight'],
  rope: ['x', 'positions'],
  gqa: ['q', 'k', 'v', 'mask', 'sinks'],
};

export const OP_OUTPUTS: Record<RunOp, string[]> = {
  rmsnorm: ['y'],
  'add-rmsnorm': ['y', 'sum'],
  rope: ['y'],
  gqa: ['y'],
};

export const RUN_FLAGS: FlagSpecs = { ...IO_FLAGS, ...RMSNORM_FLAGS, ...ROPE_FLAGS, ...SCALING_FLAGS, ...GQA_FLAGS };

export const RUN_HELP = renderHelp({
  usage: 'llama-ops run <rmsnorm|add-rmsnorm|rope|gqa> [options]',
  summary: 'Run one op on the chosen backend, on seeded random inputs or .npy files, and summarise the output.',
  details: [
    'Every option of SPEC.md is a flag. Inputs are random (normal, seeded) unless read with\n' +
      '--input NAME=FILE (rmsnorm: x, weight, residual; rope: x, positions; gqa: q, k, v, mask,\n' +
      'sinks). --check compares the output with the float64 reference of @llama-ops/conformance.',
  ],
  groups: [
    { title: 'Inputs and outputs', flags: IO_FLAGS },
    { title: 'rmsnorm / add-rmsnorm', flags: RMSNORM_FLAGS },
    { title: 'rope', flags: ROPE_FLAGS },
    { title: 'rope scaling (HF transformers parameter names)', flags: SCALING_FLAGS },
    { title: 'gqa (layout bshd: q [batch, seq-q, heads, head-dim])', flags: GQA_FLAGS },
  ],
  examples: [
    'llama-ops run rmsnorm --shape 4,4096 --eps 1e-5 --check',
    'llama-ops run add-rmsnorm --shape 8,2048 --out y=y.npy --out sum=sum.npy',
    'llama-ops run rope --shape 1,32,32,128 --theta 500000 --positions 8000 \\\n' +
      '    --rope-scaling llama3 --factor 8 --low-freq-factor 1 --high-freq-factor 4 \\\n' +
      '    --original-max-position-embeddings 8192 --check',
    'llama-ops run gqa --heads 32 --kv-heads 8 --head-dim 64 --seq-q 1 --seq-kv 512 --check',
    'llama-ops run gqa --input q=q.npy --input k=k.npy --input v=v.npy --out o.npy --backend wasm',
  ],
});
