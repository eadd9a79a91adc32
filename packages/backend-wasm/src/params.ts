/**
 * Byte offsets of each kernel's parameter block in wasm memory: the JS mirror of
 * `assembly/params.ts` (test/params.test.ts checks the two agree), and the kernel indices
 * the worker pool dispatches by.
 */

/** Kernel exports, in the order the worker pool indexes them. */
export const KERNEL_NAMES = ['copy', 'rmsnorm', 'rope', 'gqa', 'gqaPack', 'widen', 'narrow'] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

export const P_COPY_SRC = 0;
export const P_COPY_DST = 4;
export const P_COPY_BYTES = 8;

export const P_RMS_X = 0;
export const P_RMS_RESIDUAL = 4;
export const P_RMS_WEIGHT = 8;
export const P_RMS_OUT = 12;
export const P_RMS_SUM = 16;
export const P_RMS_HIDDEN = 20;
export const P_RMS_EPS = 24;
export const P_RMS_OFFSET = 28;

export const P_ROPE_X = 0;
export const P_ROPE_OUT = 4;
export const P_ROPE_COS = 8;
export const P_ROPE_SIN = 12;
export const P_ROPE_SEQ = 16;
export const P_ROPE_HEADS = 20;
export const P_ROPE_HEAD_DIM = 24;
export const P_ROPE_ROTARY_DIM = 28;
export const P_ROPE_INTERLEAVED = 32;
export const P_ROPE_PER_TOKEN = 36;

export const P_GQA_Q = 0;
export const P_GQA_K = 4;
export const P_GQA_V = 8;
export const P_GQA_OUT = 12;
export const P_GQA_MASK = 16;
export const P_GQA_MASK_BATCH = 20;
export const P_GQA_MASK_HEADS = 24;
export const P_GQA_SINKS = 28;
export const P_GQA_BATCH = 32;
export const P_GQA_SEQ_Q = 36;
export const P_GQA_SEQ_KV = 40;
export const P_GQA_HEADS_Q = 44;
export const P_GQA_HEADS_KV = 48;
export const P_GQA_HEAD_DIM = 52;
export const P_GQA_HEAD_DIM_V = 56;
export const P_GQA_SCALE = 60;
export const P_GQA_CAUSAL = 64;
export const P_GQA_WINDOW = 68;
export const P_GQA_SOFTCAP = 72;
export const P_GQA_KV_LENGTH = 76;
export const P_GQA_QUERY_OFFSET = 80;
export const P_GQA_SCRATCH = 84;
export const P_GQA_SCRATCH_STRIDE = 88;
export const P_GQA_TILE_Q = 92;
export const P_GQA_HEAD_CHUNK = 96;
export const P_GQA_Q_TILES = 100;
export const P_GQA_HEAD_CHUNKS = 104;
export const P_GQA_TILE_K = 108;
export const P_GQA_K_PACK = 112;
export const P_GQA_V_PACK = 116;
export const P_GQA_PACK_ROWS = 120;
export const P_GQA_BLOCK_MAJOR = 124;

export const P_CVT_SRC = 0;
export const P_CVT_DST = 4;
export const P_CVT_COUNT = 8;

export const PARAMS_BYTES = 128;
