// @ts-check
/**
 * The parameter block of every kernel: the one description of what a JS driver
 * (`src/<kernel>.ts`) writes into wasm memory and the kernel (`assembly/<kernel>.ts`)
 * reads. `scripts/build-wasm.mjs` generates both sides from it before asc runs:
 * `assembly/params.ts` (a namespace of typed, inlined reads per block, e.g.
 * `GqaParams.headDim(params)`) and `src/params.ts` (an interface and a writer per block,
 * e.g. `writeGqaParams(rt, { q, k, ... })`). Both are build outputs, ignored by git.
 *
 * Adding a field is one line here, then its read in the kernel and its value in the
 * driver (the writer's type makes the driver supply it). Fields are laid out in the order
 * written, 4 bytes each; the block is as large as the largest kernel's.
 *
 * Field types (every one 4 bytes):
 * - `ptr`: a byte address in wasm memory (JS number; AssemblyScript usize), 0 where the
 *   doc says the operand may be absent;
 * - `u32`, `i32`, `f32`: numbers (the f32 is rounded to float32 when written);
 * - `bool`: JS boolean, stored as an i32 1/0 (AssemblyScript bool).
 *
 * Each field is `[type, doc]`; the doc becomes the TSDoc of both sides.
 *
 * @type {Record<string, { kernels: string[]; fields: Record<string, [import('./scripts/params-codegen.mjs').FieldType, string]> }>}
 */
export const PARAM_BLOCKS = {
  copy: {
    kernels: ['copy'],
    fields: {
      src: ['ptr', 'first byte of row 0 to copy'],
      dst: ['ptr', 'first byte of row 0 written'],
      bytes: ['u32', 'bytes per row'],
      srcRowStride: ['u32', 'bytes from one source row to the next'],
      dstRowStride: ['u32', 'bytes from one destination row to the next'],
    },
  },
  rmsnorm: {
    kernels: ['rmsnorm'],
    fields: {
      x: ['ptr', 'x [rows, hidden]: row 0 (the operand offset applied)'],
      residual: ['ptr', 'residual [rows, hidden] added to x first, or 0'],
      weight: ['ptr', 'weight [hidden], contiguous'],
      out: ['ptr', 'output [rows, hidden]'],
      sum: ['ptr', 'where x + residual is stored [rows, hidden], or 0'],
      hidden: ['i32', 'elements per row'],
      xRowStride: ['i32', 'elements from one row of x to the next'],
      residualRowStride: ['i32', 'elements from one row of residual to the next'],
      outRowStride: ['i32', 'elements from one row of out to the next'],
      sumRowStride: ['i32', 'elements from one row of sum to the next'],
      eps: ['f32', 'added to the mean square'],
      weightOffset: ['f32', 'added to every weight, 1 for Gemma'],
    },
  },
  rope: {
    kernels: ['rope'],
    fields: {
      x: ['ptr', 'x [batch, seq, heads, headDim]: token 0 (the operand offset applied)'],
      out: ['ptr', 'output, same shape (x itself when in place)'],
      xRowStride: ['i32', 'elements from one token of x to the next'],
      outRowStride: ['i32', 'elements from one token of out to the next (equal to x\'s in place)'],
      cos: ['ptr', 'cos table [rows, rotaryDim / 2]'],
      sin: ['ptr', 'sin table, same shape'],
      seq: ['i32', 'tokens per batch'],
      heads: ['i32', 'heads per token'],
      headDim: ['i32', 'elements per head'],
      rotaryDim: ['i32', 'leading dims rotated; the rest pass through'],
      interleaved: ['bool', 'pairs (2i, 2i + 1) instead of rotate-half (i, i + rotaryDim / 2)'],
      perToken: ['bool', 'one table row per token (b·seq + s) instead of one per position s'],
    },
  },
  gqa: {
    kernels: ['gqa', 'gqaPack', 'gqaCombine'],
    fields: {
      q: ['ptr', 'Q [batch, seqQ, headsQ, headDim]: token 0 (the operand offset applied)'],
      k: ['ptr', 'K [batch, seqKV, headsKV, headDim]: token 0'],
      v: ['ptr', 'V [batch, seqKV, headsKV, headDimV]: token 0'],
      out: ['ptr', 'output [batch, seqQ, headsQ, headDimV]: token 0'],
      qRowStride: ['i32', 'elements from one token of Q to the next (headsQ·headDim when dense)'],
      kRowStride: ['i32', 'elements from one token of K to the next'],
      vRowStride: ['i32', 'elements from one token of V to the next'],
      outRowStride: ['i32', 'elements from one token of out to the next'],
      mask: ['ptr', 'additive mask [maskBatch, maskHeads, seqQ, seqKV], contiguous, or 0'],
      maskBatch: ['i32', "mask's batch dimension (1: broadcast)"],
      maskHeads: ['i32', "mask's head dimension (1: broadcast)"],
      sinks: ['ptr', 'attention sink logit per query head [headsQ], or 0'],
      batch: ['i32', 'batch size'],
      seqQ: ['i32', 'queries per batch'],
      seqKV: ['i32', 'K/V rows per batch (the cache capacity)'],
      headsQ: ['i32', 'query heads'],
      headsKV: ['i32', 'key/value heads'],
      headDim: ['i32', 'Q/K head size'],
      headDimV: ['i32', 'V head size'],
      scale: ['f32', 'score scale'],
      causal: ['bool', 'a query sees no key past its position'],
      window: ['i32', 'sliding window in keys (0: none)'],
      softcap: ['f32', 'score softcap (0: none)'],
      kvLength: ['ptr', 'valid K/V rows per batch, i32 [batch]'],
      queryOffset: ['ptr', "position of each batch's first query, i32 [batch]"],
      scratch: ['ptr', "thread 0's scratch (thread t's at scratch + t·scratchStride)"],
      scratchStride: ['u32', "bytes of one thread's scratch"],
      tileQ: ['i32', 'queries per tile'],
      headChunk: ['i32', 'query heads per tile'],
      qTiles: ['i32', 'query tiles, ceil(seqQ / tileQ)'],
      headChunks: ['i32', 'head chunks per KV head group'],
      kvSpan: ['i32', "KV heads per tile: 1, or > 1 for an MHA decode (group 1, one query) whose tile spans kvSpan heads, row r reading head r's K/V in address order"],
      tileK: ['i32', 'keys per block of the online softmax'],
      kPack: ['ptr', 'K rows packed per (batch, KV head) by gqaPack [batch·headsKV, packRows, headDim], or 0: K read in place'],
      vPack: ['ptr', 'V rows packed likewise [batch·headsKV, packRows, headDimV] (0 with kPack)'],
      packRows: ['u32', 'rows per packed (batch, KV head)'],
      blockMajor: ['bool', 'key blocks outer, tiles inner, one scratch slot per tile of a call'],
      // A thread's scratch, from src/gqa.ts gqaScratchLayout (byte offsets): scores S at 0.
      scratchAlpha: ['u32', 'softmax rescale factors alpha, from the thread scratch start'],
      scratchSlots: ['u32', 'first per-tile slot, from the thread scratch start (Q at the slot start)'],
      slotBytes: ['u32', 'bytes of one slot'],
      slotO: ['u32', 'output accumulators O, from the slot start'],
      slotM: ['u32', 'running maxima m, from the slot start'],
      slotL: ['u32', 'softmax denominators l, from the slot start'],
      slotPos: ['u32', "each row's query position, from the slot start"],
      // Key split (src/gqa.ts gqaPartialLayout): unit u is key chunk u / tiles of tile u % tiles.
      keySplits: ['i32', "key chunks per tile (1: none); > 1: units write partials, gqaCombine merges them"],
      partials: ['ptr', 'partial of unit u at partials + u·partialBytes: O [rows][headDimV] at its start, then m, l'],
      partialBytes: ['u32', 'bytes of one partial'],
      partialM: ['u32', 'running maxima m of a partial, from its start'],
      partialL: ['u32', 'denominators l of a partial, from its start'],
      kvHalf: ['bool', 'K and V are f16 (token strides in halves): widened by gqaPack, or per key block when read in place'],
      scratchKBlock: ['u32', 'f16 K read in place: the key block widened to f32 [tileK][headDim], from the thread scratch start'],
      scratchVBlock: ['u32', 'f16 V read in place: the value block widened to f32 [tileK][headDimV], from the thread scratch start'],
      scratchFlag: ['u32', 'f16 K/V read in place: an i32 set to 1 when a kernel converting in registers met an Inf/NaN half, from the thread scratch start'],
    },
  },
  convert: {
    kernels: ['widen', 'narrow'],
    fields: {
      src: ['ptr', 'f16 (widen) or f32 (narrow) source: row 0'],
      dst: ['ptr', 'f32 (widen) or f16 (narrow) destination: row 0'],
      count: ['i32', 'elements per row'],
      rows: ['i32', 'rows (1 for one contiguous run of count elements)'],
      srcRowStride: ['i32', 'elements from one source row to the next'],
      dstRowStride: ['i32', 'elements from one destination row to the next'],
    },
  },
};
