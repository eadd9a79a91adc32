/**
 * Byte offsets of each kernel's parameter block. The JS driver of a kernel
 * (`src/<kernel>.ts`) writes the block into wasm memory; every thread's call of the
 * kernel reads it. Keep in sync with `src/params.ts` (a test checks both agree).
 */

// copy(src, dst, bytes)
export const P_COPY_SRC: usize = 0;
export const P_COPY_DST: usize = 4;
export const P_COPY_BYTES: usize = 8;

// rmsnorm
export const P_RMS_X: usize = 0;
export const P_RMS_RESIDUAL: usize = 4;
export const P_RMS_WEIGHT: usize = 8;
export const P_RMS_OUT: usize = 12;
export const P_RMS_SUM: usize = 16;
export const P_RMS_HIDDEN: usize = 20;
export const P_RMS_EPS: usize = 24;
export const P_RMS_OFFSET: usize = 28;

// rope
export const P_ROPE_X: usize = 0;
export const P_ROPE_OUT: usize = 4;
export const P_ROPE_COS: usize = 8;
export const P_ROPE_SIN: usize = 12;
export const P_ROPE_SEQ: usize = 16;
export const P_ROPE_HEADS: usize = 20;
export const P_ROPE_HEAD_DIM: usize = 24;
export const P_ROPE_ROTARY_DIM: usize = 28;
export const P_ROPE_INTERLEAVED: usize = 32;
export const P_ROPE_PER_TOKEN: usize = 36;

// gqa
export const P_GQA_Q: usize = 0;
export const P_GQA_K: usize = 4;
export const P_GQA_V: usize = 8;
export const P_GQA_OUT: usize = 12;
export const P_GQA_MASK: usize = 16;
export const P_GQA_MASK_BATCH: usize = 20;
export const P_GQA_MASK_HEADS: usize = 24;
export const P_GQA_SINKS: usize = 28;
export const P_GQA_BATCH: usize = 32;
export const P_GQA_SEQ_Q: usize = 36;
export const P_GQA_SEQ_KV: usize = 40;
export const P_GQA_HEADS_Q: usize = 44;
export const P_GQA_HEADS_KV: usize = 48;
export const P_GQA_HEAD_DIM: usize = 52;
export const P_GQA_HEAD_DIM_V: usize = 56;
export const P_GQA_SCALE: usize = 60;
export const P_GQA_CAUSAL: usize = 64;
export const P_GQA_WINDOW: usize = 68;
export const P_GQA_SOFTCAP: usize = 72;
export const P_GQA_KV_LENGTH: usize = 76;
export const P_GQA_QUERY_OFFSET: usize = 80;
export const P_GQA_SCRATCH: usize = 84;
export const P_GQA_SCRATCH_STRIDE: usize = 88;
export const P_GQA_TILE_Q: usize = 92;
export const P_GQA_HEAD_CHUNK: usize = 96;
export const P_GQA_Q_TILES: usize = 100;
export const P_GQA_HEAD_CHUNKS: usize = 104;
export const P_GQA_TILE_K: usize = 108;
export const P_GQA_K_PACK: usize = 112;
export const P_GQA_V_PACK: usize = 116;
export const P_GQA_PACK_ROWS: usize = 120;
export const P_GQA_BLOCK_MAJOR: usize = 124;

// widen / narrow (f16 storage)
export const P_CVT_SRC: usize = 0;
export const P_CVT_DST: usize = 4;
export const P_CVT_COUNT: usize = 8;

/** Size of the largest block, in bytes. */
export const PARAMS_BYTES: usize = 128;
