import { DType } from '@llama-ops/core';

/**
 * WGSL shared by the two attention kernels (flash-attention for prefill, split-KV flash
 * decoding for decode): the parameter block, q/k/v loads as vec4<f32> (from vec4 storage
 * when the head dims are multiples of 4, else four guarded scalar loads so any head dim
 * works), Gemma-2 soft-capping, the additive mask with broadcast, and visibility.
 */

interface GqaCommon {
    dtype: DType;
    headDim: number;
    headDimV: number;
    mask: boolean;
    sinks: boolean;
}

/**
 * GQA prefill: a flash-attention kernel (Dao et al. 2022) that never forms the score
 * matrix.
 *
 * Algorithm: one workgroup per (batch, KV head, tile of `bq` query positions, chunk of
 * up to `gw` query heads of the group). Its `bq * gw` threads each own one query row (q
 * and the output accumulator in registers). Keys are walked in tiles of `bk`: the tile of
 * K and V is loaded into workgroup memory once and shared by every query head of the
 * group (the point of GQA), scores are soft-capped, masked and folded into an online
 * softmax (running max, one rescale per tile). Only the key range the tile's queries can
 * see (causal bound, window, kvLength) is walked: fully masked tiles are skipped. Keys at
 * or past kvLength are never read (their slots are zero-filled), and every masked score is
 * excluded with `select`, never multiplied by zero, so NaN garbage in a preallocated cache
 * cannot leak. A row that sees nothing outputs zeros; sinks start the softmax denominator.
 *
 * Speed: K/V traffic is `seqKV * (d + dv)` per (KV head, query tile) instead of per query
 * head. Per-thread register use grows with head dim (q and o are `d + dv` floats), so
 * large head dims run at lower occupancy. Measured on software Vulkan only; see
 * apps/bench for GPU numbers.
 */

interface FlashAttentionVariant extends GqaCommon {
    /** Query positions per workgroup. */
    bq: number;
    /** Query heads (of one group) per workgroup. */
    gw: number;
    /** Keys per tile held in workgroup memory. */
    bk: number;
}
declare function flashAttentionWgsl(v: FlashAttentionVariant): string;

/**
 * GQA decode: split-KV flash decoding (Dao et al. 2023, "Flash-Decoding"). With one or a
 * few query positions, one workgroup per KV head would leave a GPU idle, so the visible
 * key range is cut into chunks of `CHUNK` keys, processed in parallel, and merged.
 *
 * Algorithm, pass 1 (one workgroup per batch, KV head and chunk): the group's `R` query
 * rows (`seqQ * Hq/Hkv <= MAX_ROWS`) are loaded into workgroup memory; each thread takes
 * keys of the chunk, reads each key row from memory once and scores it against every
 * query row (soft-capped, masked, invisible keys excluded with `select`); per row, the
 * chunk's max and exp-sum are formed; then threads split over (value column, key subset)
 * accumulate `sum p * v`, reading each value row once for all rows. Each chunk writes a
 * partial (max, sum, unnormalised output). Keys at or past kvLength are never read.
 * Pass 2 (one thread per output element): rescale the partials to the global max, add
 * the sink to the denominator, divide; zero when nothing is visible.
 *
 * Speed: K and V are read once per KV head (not per query head), spread over
 * `ceil(keys / CHUNK)` workgroups. Measured on software Vulkan only; see apps/bench.
 */

interface FlashDecodingVariant extends GqaCommon {
    /** Query rows per KV head, rounded up to a power of two (<= MAX_ROWS). */
    rows: number;
}
declare function flashDecodingWgsl(v: FlashDecodingVariant): string;

export { flashAttentionWgsl, flashDecodingWgsl };
