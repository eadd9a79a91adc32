/**
 * Grouped-query attention (flash-attention style, f32), over work units `[start, end)`.
 *
 * K and V may be f16 (kvHalf): a prefill's gqaPack widens them into its f32 pack; read in
 * place, tiles under 16 rows (decode) convert each vector in registers (scoresHalf and
 * accumulate's f16 micro-kernels, at the end of this file) and larger tiles widen each key
 * block into per-thread f32 buffers (widenKV), so no f32 copy of the cache is made. Decode
 * over 32768 keys, 1 thread, against the staged f16 of before (ab.mjs CPU medians, shared
 * 2-core EPYC): MHA 32/32/128 0.50x the time, 32/8/64 0.63x, 32/8/128 0.83x, MQA 32/1/128
 * 0.97x. Against f32 on the same build, before the block streaming below made f32 faster:
 * 0.88x, 0.79x, 1.16x, 1.12x; after it (apps/bench --size long, 1 thread): 1.20x, 1.53x,
 * 1.53x, 1.03x, and MHA 0.84x at 2 threads. The conversion's ops cost about what the halved
 * bytes save once decode waits on arithmetic, short of issue 18's 1.6x target (see the f16
 * section for what was measured).
 *
 * Units are tiles (below), taken one after another, or for a decode of several tiles over a
 * large cache, block-major: key block 0 of every tile, then block 1... (each tile's state
 * in its own scratch slot; src/gqa.ts decides and sizes the blocks).
 *
 * Q, K, V and the output are read and written a token at a time, tokens `*RowStride` floats
 * apart (views: q/k/v of one packed QKV projection, an output inside a larger tensor; dense
 * tensors have heads·headDim); nothing between a view's tokens is touched.
 *
 * A unit is one tile of rows: up to `tileQ` consecutive queries × up to `headChunk` query
 * heads of ONE key/value head group, so every K/V row loaded serves all the group's heads
 * (GQA's point: K/V traffic divided by Hq/Hkv). Units are numbered with the last query
 * tiles first, so the costly tiles of a causal prefill are taken first by the threads.
 *
 * Key split (flash-decoding; src/gqa.ts decides it for a decode whose tiles cannot give
 * every thread two): unit u is key chunk u / tiles of tile u % tiles, the tile's visible
 * range [jStart, jEnd) cut into `keySplits` chunks (splitKeys). A unit runs the per-tile code
 * below over its chunk and, in place of the output, saves its rows' m, l and unnormalized O
 * (tileSavePartial). gqaCombine then merges each row's partials as the online softmax merges
 * key blocks (a chunk's O and l times 2^((m_s - m)·log2 e)) and writes the rows with
 * tileFinish, so sinks, rows with l = 0, +Inf sinks and NaN come out as from one pass. Each
 * chunk reads its share of K/V once; splitting the group's heads across tiles (headChunk)
 * instead reads all of it once per head chunk. MQA 32/1/128 decode, 2 threads (wall-time
 * medians, bench/ab.mjs, shared 2-core host): over 8192 keys 1.31-1.50 -> 1.24-1.30 ms
 * (0.84-0.95x), over 32768 keys 7.5-8.3 -> 6.2-6.9 ms (0.81-0.92x; 1 thread: 10.7 ms);
 * 1 thread unchanged (the split needs the pool).
 *
 * Span tiles (kvSpan > 1; src/gqa.ts decides it for an MHA decode: group 1, one query, f32
 * K/V read in place, 2+ KV heads): one tile spans up to 32 KV heads, row r being head
 * tH0 + r with its own K/V, and its kernels take key quads outer and rows inner
 * (scoresSpan, accumulateSpan: scoresOneRow's and accumulateTail's 4-key steps), so the 4
 * keys' K and V rows are read front to back. A tile per head read a d-float slice of every
 * key's row (16 KiB apart for 32 × 128), and one-row tiles on the pool were not streamed.
 * Over 16 MiB a span tile runs block-major too, its blocks streamed like any (touchBlock:
 * read in address order, its own front-to-back reads left the prefetchers short, 1.04-1.23x
 * a tile per head for 4-16 heads on one thread). MHA decode against a tile per head,
 * bench/ab.mjs on the shared 2-core EPYC, 1 thread (CPU medians) / 2 threads (wall):
 * 32/32/128 over 512 keys 0.87x / 0.77-1.2x (0.3-0.6 ms, noisy), over 2048 0.86x / 0.85x,
 * 8192 0.87x / 0.71x, 32768 0.85x / 0.71-0.88x; 8/8/128 over 32768 0.84x / 0.78x; 8/8/64
 * over 256 0.78x / 1.04x; 3/3/128 over 16384 0.80x / 0.79x, 2/2/128 over 32768 1.0x / 0.98x.
 * Not for f16 K/V: their one-row kernels wait on the conversion's arithmetic, not on memory.
 *
 * Per tile (rows r = query·nh + head, padded to Mp, a multiple of 4):
 * - Q is copied once with the scale folded in. Tiles of 16 rows or more transpose it into Qt[d][Mp] (4 × 4
 *   shuffles): scores of 4 rows against one key are a column of f32x4 multiply-adds
 *   against a splatted key element, no horizontal sums, in a 16 rows × 2 keys micro-kernel
 *   (8 accumulators). Smaller tiles (decode: one query × a group of heads) keep 4 dims in
 *   the lanes instead (scoresDimLanes): 4 rows × 2 keys of plain dot products, one
 *   horizontal sum per score, and 6 loads per 8 multiply-adds instead of 20; 1 or 2 rows
 *   left in a group of 4 (MHA, odd groups) go one row × 4 keys at a time (scoresOneRow).
 * - Keys are visited in blocks of `tileK` inside [jStart, jEnd): the range a causal or
 *   sliding window allows and never past kvLength (entries past it may be NaN garbage
 *   and are never read). Blocks wholly visible to every row skip per-element masking.
 *   For a prefill, K/V are first packed into contiguous rows per head (gqaPack below).
 * - Softcap (tanh), the additive mask (scalar gather, broadcast over batch/heads; values
 *   <= -1e30 count as -Inf, as SPEC.md says) and visibility are applied to the block's
 *   scores; then the online softmax: block max m, alpha = 2^((m_old - m_new)·log2 e),
 *   P = 2^((S - m_new)·log2 e - 32) (simd-math exp2s4). Scores stay in natural units until
 *   the max is subtracted: folding log2 e into Q (one multiply less per score) would turn
 *   representable scores above 2.4e38, or a mask of 3e38, into Infinity and the row into
 *   NaN. P is 2^-32 times the weight, so Σ P·v stays below max|v| (v up to 3.4e38 does
 *   not overflow before the division by l = Σ P, scaled alike; the shift is free, folded
 *   into exp2's exponent bias). The extra multiply per score measured +0.7% on the causal
 *   prefill 512 and within noise on decode (bench/ab.mjs, 5 A/B runs on a loaded machine
 *   whose A/A runs varied ±2%). A row that has seen only -Inf uses 0 as its max, so
 *   2^(-Inf) adds exactly 0.
 * - O[r] = alpha·O[r] + Σ P·V with a 2 rows × 16 dims micro-kernel (8 accumulators), each
 *   16-dim slice of the V block for every row pair in turn (the slice stays in L1); a row
 *   without a partner goes 4 keys at a time over whole V rows (accumulateTail);
 *   in partly visible blocks each row visits only its visible keys (a NaN in a value it
 *   cannot see must not reach it through 0·NaN).
 * - Out = O / (l + 2^((sink - m)·log2 e - 32)) (a sink joins the denominator only), or
 *   zeros where l = 0 (no visible key, or only -Inf scores) or where a sink of +Inf takes
 *   all the weight (written as zeros, not O·0, which is NaN when a value seen with weight
 *   0 is NaN, and -0 for negative O).
 *
 * Where the time goes (causal prefill 512, Hq/Hkv/d = 32/8/64, 1 thread, Zen 5 at ~4.5 GHz
 * by a chain of dependent integer adds; measured by timing builds with one stage removed):
 * Q·K ~9.5 ms and P·V ~10 ms, each at ~1.5 of the 2 f32x4 multiply-adds per cycle that
 * 128-bit SIMD without FMA allows (mul and add on separate pipes; V8 adds a stack check to
 * every loop iteration and folds no loads, so a 16 × 2 step is ~27 instructions for 8
 * multiply-adds); softmax ~2.3 ms (was 5.1 ms with a Cephes expf); the rest (Q transpose,
 * masking of diagonal blocks, output) ~0.8 ms. Larger register blocks or unrolled loops
 * measured slower (V8 spills). Total (bench/quick.mjs --cpu, median) 22.5-23 ms (47
 * GFLOP/s counting 4·Sq·visible·Hq·d); onnxruntime-web's Attention 82 ms in the same
 * session (3.6x). Decode 32/8/64 over 2048 keys: ~0.35 ms, of which Q·K ~0.18 ms.
 */
import { exp2n4, exp2s4, madd, SOFTMAX_SHIFT, tanh4 } from './simd-math';
import { GqaParams } from './params';

const NEG_INF: f32 = -Infinity;
/** Scores minus their max are turned into base 2 for exp2: 2^(x·log2 e) = e^x. */
const LOG2E: f32 = 1.44269504088896341;
/** Mask values at or below this count as masked (-Inf): SPEC.md, for finfo(float32).min masks. */
const MASKED: f32 = -1e30;
/** 2^-SOFTMAX_SHIFT: the weight of a score equal to the row's max, as l holds it. */
const SHIFTED_ONE: f32 = reinterpret<f32>((127 - SOFTMAX_SHIFT) << 23);

// Per-call constants, loaded from the parameter block. Globals are per instance, and each
// thread has its own instance, so these are thread-local.
let q: usize = 0, k: usize = 0, v: usize = 0, out: usize = 0, mask: usize = 0, sinks: usize = 0;
// Bytes from one token of Q, K, V and out to the next (operands may be views: q/k/v of one
// packed QKV projection, out a slot of a larger tensor).
let qTokenBytes: usize = 0, kTokenBytes: usize = 0, vTokenBytes: usize = 0, outTokenBytes: usize = 0;
let maskBatch: i32 = 0, maskHeads: i32 = 0, seqQ: i32 = 0, seqKV: i32 = 0, headsQ: i32 = 0, headsKV: i32 = 0;
let d: i32 = 0, dv: i32 = 0, scale: f32 = 0, causal: bool = false, window: i32 = 0, softcap: f32 = 0;
let kvLength: usize = 0, queryOffset: usize = 0, tileQ: i32 = 0, headChunk: i32 = 0, tileK: i32 = 0, group: i32 = 0;
let kPack: usize = 0, vPack: usize = 0, packRows: usize = 0;
// Scratch of this thread: S and alpha are shared, the rest is per tile (a slot).
let sQt: usize = 0, sS: usize = 0, sO: usize = 0, sM: usize = 0, sL: usize = 0, sAlpha: usize = 0, sPos: usize = 0;
let slot0: usize = 0, slotBytes: usize = 0, slotO: usize = 0, slotM: usize = 0, slotL: usize = 0, slotPos: usize = 0;
let qTiles: i32 = 0, headChunks: i32 = 0, perTile: i32 = 0;
// KV heads per tile (kvSpan) and tiles per batch entry over them (spans): 1 and headsKV but
// for an MHA decode whose tile spans several heads (tileKeys: read in address order).
let kvSpan: i32 = 1, spans: i32 = 0;
// The current tile (setTile): batch, first head, heads, first query, rows (M real, Mp
// padded), positions, visible keys [jStart, jEnd), and where its K/V rows are.
let tB: i32 = 0, tH0: i32 = 0, tNh: i32 = 0, tI0: i32 = 0, tM: i32 = 0, tMp: i32 = 0;
let tPmin: i32 = 0, tPmax: i32 = 0, tJStart: i32 = 0, tJEnd: i32 = 0;
let tKHead: usize = 0, tVHead: usize = 0, tKStride: usize = 0, tVStride: usize = 0;
// Key split (keySplits > 1): where each unit's partial goes; tPartial is the current
// unit's (0: tileFinish writes the output rows).
let keySplits: i32 = 1, partials: usize = 0, partialBytes: usize = 0, partialM: usize = 0, partialL: usize = 0;
let tPartial: usize = 0;
// f16 K/V read in place (kvHalf, not packed): each key block is widened into this thread's
// f32 block buffers (widenKV) before the f32 kernels read it.
let halfKV: bool = false, sKBlk: usize = 0, sVBlk: usize = 0, sFlag: usize = 0;

export function gqa(params: usize, start: i32, end: i32, thread: i32): void {
  q = GqaParams.q(params);
  k = GqaParams.k(params);
  v = GqaParams.v(params);
  out = GqaParams.out(params);
  qTokenBytes = (GqaParams.qRowStride(params) as usize) << 2;
  kTokenBytes = (GqaParams.kRowStride(params) as usize) << 2;
  vTokenBytes = (GqaParams.vRowStride(params) as usize) << 2;
  outTokenBytes = (GqaParams.outRowStride(params) as usize) << 2;
  mask = GqaParams.mask(params);
  maskBatch = GqaParams.maskBatch(params);
  maskHeads = GqaParams.maskHeads(params);
  sinks = GqaParams.sinks(params);
  const batch = GqaParams.batch(params);
  seqQ = GqaParams.seqQ(params);
  seqKV = GqaParams.seqKV(params);
  headsQ = GqaParams.headsQ(params);
  headsKV = GqaParams.headsKV(params);
  d = GqaParams.headDim(params);
  dv = GqaParams.headDimV(params);
  scale = GqaParams.scale(params);
  causal = GqaParams.causal(params);
  window = GqaParams.window(params);
  softcap = GqaParams.softcap(params);
  kvLength = GqaParams.kvLength(params);
  queryOffset = GqaParams.queryOffset(params);
  tileQ = GqaParams.tileQ(params);
  headChunk = GqaParams.headChunk(params);
  tileK = GqaParams.tileK(params);
  kPack = GqaParams.kPack(params);
  vPack = GqaParams.vPack(params);
  packRows = GqaParams.packRows(params);
  qTiles = GqaParams.qTiles(params);
  headChunks = GqaParams.headChunks(params);
  group = headsQ / headsKV;
  kvSpan = GqaParams.kvSpan(params);
  spans = (headsKV + kvSpan - 1) / kvSpan;
  perTile = batch * spans * headChunks;
  keySplits = GqaParams.keySplits(params);
  partials = GqaParams.partials(params);
  partialBytes = GqaParams.partialBytes(params);
  partialM = GqaParams.partialM(params);
  partialL = GqaParams.partialL(params);

  // This thread's scratch, laid out by src/gqa.ts (gqaScratchLayout): S at its start, then
  // alpha, then one slot per tile in flight (Qt or Qc at the slot's start, O, m, l, positions).
  sS = GqaParams.scratch(params) + (thread as usize) * (GqaParams.scratchStride(params) as usize);
  sAlpha = sS + GqaParams.scratchAlpha(params);
  slot0 = sS + GqaParams.scratchSlots(params);
  slotBytes = GqaParams.slotBytes(params);
  slotO = GqaParams.slotO(params);
  slotM = GqaParams.slotM(params);
  slotL = GqaParams.slotL(params);
  slotPos = GqaParams.slotPos(params);
  // f16 K/V: token strides in halves. Packed, gqaPack widened them; in place, halfKV.
  if (GqaParams.kvHalf(params)) {
    kTokenBytes >>= 1;
    vTokenBytes >>= 1;
  }
  halfKV = GqaParams.kvHalf(params) && !kPack;
  sKBlk = sS + GqaParams.scratchKBlock(params);
  sVBlk = sS + GqaParams.scratchVBlock(params);
  sFlag = sS + GqaParams.scratchFlag(params);

  if (!GqaParams.blockMajor(params)) {
    useSlot(0);
    for (let u = start; u < end; u++) {
      setTile(u);
      tileStart();
      for (let j0 = tJStart; j0 < tJEnd; j0 += tileK) tileKeys(j0, min(tileK, tJEnd - j0));
      tileFinish();
    }
    return;
  }
  // Block-major (decode: one query tile per KV head): every tile of [start, end) takes key
  // block 0, then every tile block 1... Each tile reads its head's slice of each key's K/V
  // row (d·4 bytes, Hkv·d·4 apart): pieces the hardware prefetchers do not follow, so read
  // in place each piece waited on a miss to DRAM (issue 18: 32/8/64 ran at 5.8 GB/s, 2.3x
  // its ns/key over 2048 keys, where a read pass gets 45-50 GB/s). So before the tiles take
  // block kb, the block after it is read in address order, one load per 64-byte line over
  // all the call's heads (touchBlock): the prefetchers stream it (alone, 38 GB/s: 81% of
  // the read pass), and the tiles find block kb in L2 (src/gqa.ts caps a block's bytes,
  // BLOCK_MAJOR_BLOCK_BYTES). bench/ab.mjs CPU=1, 1 thread, 32768 keys, against reading in
  // place: 32/8/64 0.42-0.46x (675-700 -> 300-320 ns/key, 1.07x its 2048-key figure),
  // 32/8/128 0.76-0.81x, MHA 32/32/128 0.86-0.89x. Touching block kb itself first measured
  // the same for 32/8/64 and 7% slower for 32/8/128; each tile touching its share of the
  // next block before its turn (interleaved) 0.52x and 0.91x. Not for one-row tiles (f16
  // MHA) on the pool: each K/V byte feeds 2 multiply-adds there, two threads come near the
  // memory's rate, and the pass, which the compute does not overlap, cost 4-15% of CPU time.
  for (let u = start; u < end; u++) {
    useSlot(u - start);
    setTile(u);
    tileStart();
  }
  // As src/gqa.ts: not for one-row tiles on the pool, nor for f16 one-row tiles (they load ahead).
  const stream = tileQ * headChunk > 1 || kvSpan > 1 || (end - start == perTile && !halfKV);
  let touched = stream ? touchBlock(start, end, 0) : 0;
  for (let kb = 0; ; kb++) {
    if (stream) touched ^= touchBlock(start, end, kb + 1);
    let any = false;
    for (let u = start; u < end; u++) {
      setTile(u);
      const j0 = tJStart + kb * tileK;
      if (j0 >= tJEnd) continue;
      useSlot(u - start);
      tileKeys(j0, min(tileK, tJEnd - j0));
      any = true;
    }
    if (!any) break;
  }
  // The loads' results go to memory (the scores' scratch, free now), so none is dropped.
  store<i32>(sS, touched);
  for (let u = start; u < end; u++) {
    useSlot(u - start);
    setTile(u);
    tileFinish();
  }
}

/**
 * Reads key block kb of the tiles [start, end) (block-major, one query tile) from memory in
 * address order, one i32 per 64-byte line: per batch, the K rows and then the V rows of
 * the block's keys, over the KV heads of that batch's tiles (the whole row when a call
 * takes all heads). Returns the loads' XOR, for the caller to store.
 */
function touchBlock(start: i32, end: i32, kb: i32): i32 {
  let x: i32 = 0;
  if (kPack) return x; // a causal block packed by gqaPack reads the packed rows
  const perBatch = spans * headChunks;
  let u = start;
  while (u < end) {
    // Units [u, last] share a batch (and, with a key split, a key chunk: unit u is tile
    // u % perTile), so one key range.
    const tile = keySplits > 1 ? u % perTile : u;
    const b = tile / perBatch;
    const last = min(end, u + perBatch - tile % perBatch) - 1;
    setTile(u);
    const j0 = tJStart + kb * tileK;
    if (j0 < tJEnd) {
      const nk = min(tileK, tJEnd - j0);
      // KV heads [g0, g1) of the units' tiles (span tiles: kvSpan heads each).
      const g0 = ((tile / headChunks) % spans) * kvSpan;
      const g1 = min(headsKV, (((tile + last - u) / headChunks) % spans + 1) * kvSpan);
      const token = (b as usize) * (seqKV as usize) + (j0 as usize);
      const sh: usize = halfKV ? 1 : 2; // f16 K/V read in place: 2 bytes an element
      x ^= touchRows(k + token * kTokenBytes + (((g0 * d) as usize) << sh), kTokenBytes, nk, (((g1 - g0) * d) as usize) << sh);
      x ^= touchRows(v + token * vTokenBytes + (((g0 * dv) as usize) << sh), vTokenBytes, nk, (((g1 - g0) * dv) as usize) << sh);
    }
    u = last + 1;
  }
  return x;
}

/** XOR of one i32 per 64 bytes of `rows` rows of `bytes` bytes at p, `stride` bytes apart. */
function touchRows(p: usize, stride: usize, rows: i32, bytes: usize): i32 {
  let x: i32 = 0;
  for (let j = 0; j < rows; j++) {
    for (let o: usize = 0; o < bytes; o += 64) x ^= load<i32>(p + o);
    p += stride;
  }
  return x;
}

/** Points the per-tile scratch at slot i. */
function useSlot(i: i32): void {
  sQt = slot0 + (i as usize) * slotBytes;
  sO = sQt + slotO;
  sM = sQt + slotM;
  sL = sQt + slotL;
  sPos = sQt + slotPos;
}

/** Geometry of unit u (query tiles last first, then batch, KV head, head chunk) into the t* globals. */
function setTile(u: i32): void {
  // Key split (one query tile): unit u is key chunk u / perTile of tile u % perTile.
  const part = keySplits > 1 ? u / perTile : 0;
  if (keySplits > 1) u %= perTile;
  const qt = qTiles - 1 - u / perTile;
  let rest = u % perTile;
  const hc = rest % headChunks;
  rest /= headChunks;
  const g = (rest % spans) * kvSpan;
  const b = rest / spans;
  tB = b;
  tH0 = g * group + hc * headChunk;
  // A span tile (MHA, group 1): row r is head g + r, with its own K/V.
  tNh = kvSpan > 1 ? min(kvSpan, headsKV - g) : min(headChunk, group - hc * headChunk);
  tI0 = qt * tileQ;
  const nq = min(tileQ, seqQ - tI0);
  tM = nq * tNh;
  tMp = (tM + 3) & ~3;
  tPmin = load<i32>(queryOffset + ((b as usize) << 2)) + tI0;
  tPmax = tPmin + nq - 1;
  tJStart = window > 0 ? max(0, tPmin - window + 1) : 0;
  tJEnd = load<i32>(kvLength + ((b as usize) << 2));
  if (causal) tJEnd = min(tJEnd, tPmax + 1);
  // K/V rows of this head: packed contiguous by gqaPack (prefill), or in place, a token apart.
  if (kPack) {
    const slot = ((b * headsKV + g) as usize) * packRows;
    tKStride = (d as usize) << 2;
    tVStride = (dv as usize) << 2;
    tKHead = kPack + slot * tKStride;
    tVHead = vPack + slot * tVStride;
  } else {
    tKStride = kTokenBytes;
    tVStride = vTokenBytes;
    tKHead = k + ((b as usize) * (seqKV as usize)) * kTokenBytes + (((g as usize) * (d as usize)) << (halfKV ? 1 : 2));
    tVHead = v + ((b as usize) * (seqKV as usize)) * vTokenBytes + (((g as usize) * (dv as usize)) << (halfKV ? 1 : 2));
  }
  tPartial = 0;
  if (keySplits > 1) splitKeys(part, part * perTile + u);
}

/**
 * Key split: narrows the tile's visible keys [tJStart, tJEnd) to chunk `part` of keySplits
 * (chunks of ceil(n / keySplits) keys rounded up to 16, so the last ones may be empty: a
 * short or empty range, ragged batches) and points tPartial at unit `unit`'s partial.
 */
function splitKeys(part: i32, unit: i32): void {
  const n = tJEnd - tJStart;
  if (n > 0) {
    const c = ((n + keySplits - 1) / keySplits + 15) & ~15;
    const lo = min(tJEnd, tJStart + part * c);
    tJEnd = min(tJEnd, lo + c);
    tJStart = lo;
  }
  tPartial = partials + (unit as usize) * partialBytes;
}

/** Starts the current tile: m = -Inf, l = 0, O = 0, and its Q in Qt/Qc when it sees any key. */
function tileStart(): void {
  const b = tB, h0 = tH0, nh = tNh, i0 = tI0, M = tM, Mp = tMp, pmin = tPmin, pmax = tPmax;
  const jStart = tJStart, jEnd = tJEnd;
  // Running max (base 2), denominator and output accumulators. Sinks join at the end.
  for (let r = 0; r < Mp; r++) {
    const ro = (r as usize) << 2;
    store<f32>(sM + ro, NEG_INF);
    store<f32>(sL + ro, 0.0);
  }
  memory.fill(sO, 0, ((Mp * dv) as usize) << 2);

  if (jEnd > jStart) {
    // Qt[t][r] = scale · q[b, i0 + r / nh, h0 + r % nh, t]; padding rows are 0. 4 rows ×
    // 4 dims per step, transposed with shuffles.
    const qScale = f32x4.splat(scale);
    const qRowBytes = (d as usize) << 2;
    const mpBytes = (Mp as usize) << 2;
    const qBase = q + ((b * seqQ + i0) as usize) * qTokenBytes + (h0 as usize) * qRowBytes;
    const qQueryBytes = qTokenBytes;
    for (let r = 0; r < Mp; r++) store<i32>(sPos + ((r as usize) << 2), r < M ? pmin + r / nh : pmax);
    const d4 = d & ~3;
    // Tiles under 16 rows (decode) keep dims in the lanes for scoresDimLanes: per group of
    // 4 rows, 4-dim chunks of the 4 rows side by side, then the d % 4 dims left, each as
    // one vector of the 4 rows.
    const dimLanes = Mp < 16 || kvSpan > 1;
    for (let rv = 0; rv < Mp; rv += 4) {
      // Row r's q; padding rows (past M) are zeros and point at row rv, so nothing past q is read.
      const has1 = rv + 1 < M, has2 = rv + 2 < M, has3 = rv + 3 < M;
      const p0 = qBase + ((rv / nh) as usize) * qQueryBytes + ((rv % nh) as usize) * qRowBytes;
      const p1 = has1 ? qBase + (((rv + 1) / nh) as usize) * qQueryBytes + (((rv + 1) % nh) as usize) * qRowBytes : p0;
      const p2 = has2 ? qBase + (((rv + 2) / nh) as usize) * qQueryBytes + (((rv + 2) % nh) as usize) * qRowBytes : p0;
      const p3 = has3 ? qBase + (((rv + 3) / nh) as usize) * qQueryBytes + (((rv + 3) % nh) as usize) * qRowBytes : p0;
      if (dimLanes) {
        packDimLanes(sQt + (rv as usize) * (((d + 3) & ~3) as usize << 2), p0, p1, p2, p3, has1, has2, has3, qScale);
        continue;
      }
      const dst = sQt + ((rv as usize) << 2);
      let t = 0;
      for (; t < d4; t += 4) {
        const to = (t as usize) << 2;
        const zero = f32x4.splat(0);
        const a = f32x4.mul(v128.load(p0 + to), qScale);
        const b1 = has1 ? f32x4.mul(v128.load(p1 + to), qScale) : zero;
        const c = has2 ? f32x4.mul(v128.load(p2 + to), qScale) : zero;
        const e = has3 ? f32x4.mul(v128.load(p3 + to), qScale) : zero;
        const ab01 = v128.shuffle<f32>(a, b1, 0, 4, 1, 5);
        const ab23 = v128.shuffle<f32>(a, b1, 2, 6, 3, 7);
        const ce01 = v128.shuffle<f32>(c, e, 0, 4, 1, 5);
        const ce23 = v128.shuffle<f32>(c, e, 2, 6, 3, 7);
        const o = dst + (t as usize) * mpBytes;
        v128.store(o, v128.shuffle<f32>(ab01, ce01, 0, 1, 4, 5));
        v128.store(o + mpBytes, v128.shuffle<f32>(ab01, ce01, 2, 3, 6, 7));
        v128.store(o + 2 * mpBytes, v128.shuffle<f32>(ab23, ce23, 0, 1, 4, 5));
        v128.store(o + 3 * mpBytes, v128.shuffle<f32>(ab23, ce23, 2, 3, 6, 7));
      }
      const sc = f32x4.extract_lane(qScale, 0);
      for (; t < d; t++) {
        const to = (t as usize) << 2;
        const o = dst + (t as usize) * mpBytes;
        store<f32>(o, load<f32>(p0 + to) * sc);
        store<f32>(o, has1 ? load<f32>(p1 + to) * sc : 0, 4);
        store<f32>(o, has2 ? load<f32>(p2 + to) * sc : 0, 8);
        store<f32>(o, has3 ? load<f32>(p3 + to) * sc : 0, 12);
      }
    }
  }
}

/** Keys [j0, j0 + nk) of the current tile: scores, softcap, mask, visibility, online softmax, P·V. */
function tileKeys(j0: i32, nk: i32): void {
  const b = tB, h0 = tH0, nh = tNh, i0 = tI0, M = tM, Mp = tMp, pmin = tPmin, pmax = tPmax;
  // f16 K/V in place: tiles under 16 rows (decode) convert in registers (scoresHalf,
  // accumulate with `half`); larger tiles reuse each row 16+ times, so the block's rows are widened
  // into the f32 block buffers first (widenKV), d (dv) floats apart, for the f32 kernels.
  const inRegs = halfKV && Mp < 16, widen = halfKV && !inRegs;
  const kStride = widen ? (d as usize) << 2 : tKStride, vStride = widen ? (dv as usize) << 2 : tVStride;
  const kHead = widen ? widenKV(j0, nk) : tKHead, vHead = widen ? sVBlk - (j0 as usize) * vStride : tVHead;
  if (kvSpan > 1) scoresSpan(M, Mp, kHead + (j0 as usize) * kStride, kStride, nk);
  else if (inRegs) {
    // Inf/NaN halves: one-row tiles (MHA) flag them in their kernels (scoresOneRowHalf,
    // accumulateTailHalf); larger tiles scan the block's K and V rows first (scanHalves).
    if (M > 1) {
      scanHalves(kHead + (j0 as usize) * kStride, kStride, nk, d);
      scanHalves(vHead + (j0 as usize) * vStride, vStride, nk, dv);
    }
    scoresHalf(M, Mp, kHead + (j0 as usize) * kStride, kStride, nk);
  }
  else scores(M, Mp, kHead + (j0 as usize) * kStride, kStride, nk);
  if (softcap > 0) applySoftcap(Mp, nk);
  if (mask) applyMask(b, h0, nh, i0, M, Mp, j0, nk);
  const full = (!causal || j0 + nk - 1 <= pmin) && (window == 0 || j0 > pmax - window);
  if (!full) applyVisibility(Mp, j0, nk);
  softmaxUpdate(Mp, nk);
  if (kvSpan > 1) accumulateSpan(M, vHead + (j0 as usize) * vStride, vStride, nk, j0, !full);
  else accumulate(M, Mp, vHead + (j0 as usize) * vStride, vStride, nk, j0, !full, inRegs);
}

/** Writes the current tile's rows. */
function tileFinish(): void {
  if (tPartial) {
    tileSavePartial();
    return;
  }
  const b = tB, h0 = tH0, nh = tNh, i0 = tI0, M = tM;
  // out = O / (l + 2^(sink - m)). A row with l = 0 saw no key, or only -Inf scores (mask):
  // zeros, written as such (O may hold 0·NaN from values it saw with weight 0). A sink has
  // no value, so it cannot make such a row nonzero; l is NaN for a row with a NaN score.
  const dvBytes = (dv as usize) << 2;
  for (let r = 0; r < M; r++) {
    const ro = (r as usize) << 2;
    const l = load<f32>(sL + ro);
    const dst = out + ((b * seqQ + i0 + r / nh) as usize) * outTokenBytes + ((h0 + r % nh) as usize) * dvBytes;
    if (l == 0) {
      memory.fill(dst, 0, dvBytes);
      continue;
    }
    let inv: f32;
    if (sinks) {
      // x = sink - m in base 2; l holds weights times 2^-32, so the sink's is 2^(x - 32).
      // exp2 takes x <= 0: for x > 0, scale both terms by 2^-x (+Inf gives inv = 0).
      const x = (load<f32>(sinks + (((h0 + r % nh) as usize) << 2)) - load<f32>(sM + ro)) * LOG2E;
      if (x > 0) {
        const e = f32x4.extract_lane(exp2n4(f32x4.splat(-x)), 0);
        inv = e / (l * e + SHIFTED_ONE);
      } else {
        inv = (1.0 as f32) / (l + f32x4.extract_lane(exp2s4(f32x4.splat(x)), 0));
      }
      if (inv == 0) {
        memory.fill(dst, 0, dvBytes);
        continue;
      }
    } else {
      inv = (1.0 as f32) / l;
    }
    const invV = f32x4.splat(inv);
    const src = sO + (r as usize) * dvBytes;
    let t = 0;
    for (; t + 4 <= dv; t += 4) {
      const o = (t as usize) << 2;
      v128.store(dst + o, f32x4.mul(v128.load(src + o), invV));
    }
    for (; t < dv; t++) {
      const o = (t as usize) << 2;
      store<f32>(dst + o, load<f32>(src + o) * inv);
    }
  }
}

/** Key split: the tile's rows as they stand (O unnormalized, m, l) into its partial, for gqaCombine. */
function tileSavePartial(): void {
  const M = tM;
  memory.copy(tPartial, sO, ((M * dv) as usize) << 2);
  memory.copy(tPartial + partialM, sM, (M as usize) << 2);
  memory.copy(tPartial + partialL, sL, (M as usize) << 2);
}

/**
 * Key split, second pass: units are tiles (`u < batch · headsKV · headChunks`). Merges the
 * keySplits partials of each row of tile u into slot 0 as one pass over all its keys would
 * have left them, m = max m_s, l = Σ l_s·a_s, O = Σ O_s·a_s with a_s = 2^((m_s - m)·log2 e)
 * (as the online softmax's alpha: a chunk that saw no key, m_s = -Inf, adds 0·l_s and 0·O_s,
 * which keeps a NaN it holds), then writes the rows with tileFinish (sink, l = 0, scaling).
 */
export function gqaCombine(params: usize, start: i32, end: i32, thread: i32): void {
  gqa(params, 0, 0, thread); // no unit: only loads the parameter block into the globals
  useSlot(0);
  for (let u = start; u < end; u++) {
    setTile(u);
    tPartial = 0;
    combinePartials(u);
    tileFinish();
  }
}

/** The partials of tile u's rows, merged into the slot's O, m and l. */
function combinePartials(u: i32): void {
  const M = tM;
  const dvBytes = (dv as usize) << 2;
  const n4 = dv & ~3;
  const first = partials + (u as usize) * partialBytes;
  const chunkBytes = (perTile as usize) * partialBytes; // from one key chunk's partial of the tile to the next
  for (let r = 0; r < M; r++) {
    const ro = (r as usize) << 2;
    let m = NEG_INF;
    for (let s = 0; s < keySplits; s++) m = max(m, load<f32>(first + (s as usize) * chunkBytes + partialM + ro));
    // As softmaxUpdate: a row that has seen only -Inf uses 0 as its max.
    const mSafe: f32 = m == NEG_INF ? 0 : m;
    let l: f32 = 0;
    const o = sO + (r as usize) * dvBytes;
    memory.fill(o, 0, dvBytes);
    for (let s = 0; s < keySplits; s++) {
      const p = first + (s as usize) * chunkBytes;
      const a = exp2n4(f32x4.splat((load<f32>(p + partialM + ro) - mSafe) * LOG2E));
      const alpha = f32x4.extract_lane(a, 0);
      l += load<f32>(p + partialL + ro) * alpha;
      const src = p + (r as usize) * dvBytes;
      let t = 0;
      for (; t < n4; t += 4) {
        const to = (t as usize) << 2;
        v128.store(o + to, madd(v128.load(src + to), a, v128.load(o + to)));
      }
      for (; t < dv; t++) {
        const to = (t as usize) << 2;
        store<f32>(o + to, load<f32>(o + to) + load<f32>(src + to) * alpha);
      }
    }
    store<f32>(sM + ro, m);
    store<f32>(sL + ro, l);
  }
}

/** S[jj][r] = <Qt[:, r], k_jj> for nk keys at kBase (kStride bytes apart), all Mp rows (M real). */
function scores(M: i32, Mp: i32, kBase: usize, kStride: usize, nk: i32): void {
  if (Mp < 16) {
    scoresDimLanes(M, Mp, kBase, kStride, nk);
    return;
  }
  const n = d;
  const mpBytes = (Mp as usize) << 2;
  const S = sS;
  let rb = 0;
  for (; rb + 16 <= Mp; rb += 16) {
    const qBase = sQt + ((rb as usize) << 2);
    let jj = 0;
    for (; jj + 2 <= nk; jj += 2) {
      const k0 = kBase + (jj as usize) * kStride;
      const k1 = k0 + kStride;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
      let qp = qBase;
      for (let t = 0; t < n; t++) {
        const to = (t as usize) << 2;
        const x0 = v128.load32_splat(k0 + to);
        const x1 = v128.load32_splat(k1 + to);
        const q0 = v128.load(qp), q1 = v128.load(qp, 16), q2 = v128.load(qp, 32), q3 = v128.load(qp, 48);
        a0 = madd(q0, x0, a0);
        a1 = madd(q1, x0, a1);
        a2 = madd(q2, x0, a2);
        a3 = madd(q3, x0, a3);
        b0 = madd(q0, x1, b0);
        b1 = madd(q1, x1, b1);
        b2 = madd(q2, x1, b2);
        b3 = madd(q3, x1, b3);
        qp += mpBytes;
      }
      const s0 = S + (jj as usize) * mpBytes + ((rb as usize) << 2);
      v128.store(s0, a0); v128.store(s0, a1, 16); v128.store(s0, a2, 32); v128.store(s0, a3, 48);
      const s1 = s0 + mpBytes;
      v128.store(s1, b0); v128.store(s1, b1, 16); v128.store(s1, b2, 32); v128.store(s1, b3, 48);
    }
    if (jj < nk) {
      const k0 = kBase + (jj as usize) * kStride;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let qp = qBase;
      for (let t = 0; t < n; t++) {
        const x0 = v128.load32_splat(k0 + ((t as usize) << 2));
        a0 = madd(v128.load(qp), x0, a0);
        a1 = madd(v128.load(qp, 16), x0, a1);
        a2 = madd(v128.load(qp, 32), x0, a2);
        a3 = madd(v128.load(qp, 48), x0, a3);
        qp += mpBytes;
      }
      const s0 = S + (jj as usize) * mpBytes + ((rb as usize) << 2);
      v128.store(s0, a0); v128.store(s0, a1, 16); v128.store(s0, a2, 32); v128.store(s0, a3, 48);
    }
  }
  // Rows left past the 16-row blocks (Mp % 16 of a tile of 16 or more rows, e.g. 24 for
  // 12 heads per KV head): 8 rows × 4 keys (a 12-head prefill is 7% slower with two
  // 4-row passes instead), then 4 rows.
  for (; rb + 8 <= Mp; rb += 8) scoresRows8(rb, Mp, kBase, kStride, nk);
  if (rb < Mp) scoresRows4(rb, Mp, kBase, kStride, nk);
}

/** Rows [rb, rb + 8) against nk keys: 8 rows × 4 keys per pass (2 row vectors, 4 splatted keys). */
function scoresRows8(rb: i32, Mp: i32, kBase: usize, kStride: usize, nk: i32): void {
  const n = d;
  const mpBytes = (Mp as usize) << 2;
  const qBase = sQt + ((rb as usize) << 2);
  const sBase = sS + ((rb as usize) << 2);
  let jj = 0;
  for (; jj + 4 <= nk; jj += 4) {
    const k0 = kBase + (jj as usize) * kStride;
    const k1 = k0 + kStride, k2 = k1 + kStride, k3 = k2 + kStride;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
    let qp = qBase;
    for (let t = 0; t < n; t++) {
      const to = (t as usize) << 2;
      const qa = v128.load(qp), qb = v128.load(qp, 16);
      const x0 = v128.load32_splat(k0 + to), x1 = v128.load32_splat(k1 + to);
      const x2 = v128.load32_splat(k2 + to), x3 = v128.load32_splat(k3 + to);
      a0 = madd(qa, x0, a0);
      b0 = madd(qb, x0, b0);
      a1 = madd(qa, x1, a1);
      b1 = madd(qb, x1, b1);
      a2 = madd(qa, x2, a2);
      b2 = madd(qb, x2, b2);
      a3 = madd(qa, x3, a3);
      b3 = madd(qb, x3, b3);
      qp += mpBytes;
    }
    const s0 = sBase + (jj as usize) * mpBytes;
    v128.store(s0, a0); v128.store(s0, b0, 16);
    v128.store(s0 + mpBytes, a1); v128.store(s0 + mpBytes, b1, 16);
    v128.store(s0 + 2 * mpBytes, a2); v128.store(s0 + 2 * mpBytes, b2, 16);
    v128.store(s0 + 3 * mpBytes, a3); v128.store(s0 + 3 * mpBytes, b3, 16);
  }
  for (; jj < nk; jj++) {
    const k0 = kBase + (jj as usize) * kStride;
    let a0 = f32x4.splat(0), b0 = f32x4.splat(0);
    let qp = qBase;
    for (let t = 0; t < n; t++) {
      const x0 = v128.load32_splat(k0 + ((t as usize) << 2));
      a0 = madd(v128.load(qp), x0, a0);
      b0 = madd(v128.load(qp, 16), x0, b0);
      qp += mpBytes;
    }
    const s0 = sBase + (jj as usize) * mpBytes;
    v128.store(s0, a0);
    v128.store(s0, b0, 16);
  }
}

/** Rows [rb, rb + 4) against nk keys from Qt: 4 rows × 4 keys per pass, then 1. */
function scoresRows4(rb: i32, Mp: i32, kBase: usize, kStride: usize, nk: i32): void {
  const n = d;
  const mpBytes = (Mp as usize) << 2;
  const qBase = sQt + ((rb as usize) << 2);
  const sBase = sS + ((rb as usize) << 2);
  let jj = 0;
  for (; jj + 4 <= nk; jj += 4) {
    const k0 = kBase + (jj as usize) * kStride;
    const k1 = k0 + kStride, k2 = k1 + kStride, k3 = k2 + kStride;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let qp = qBase;
    for (let t = 0; t < n; t++) {
      const to = (t as usize) << 2;
      const qv = v128.load(qp);
      a0 = madd(qv, v128.load32_splat(k0 + to), a0);
      a1 = madd(qv, v128.load32_splat(k1 + to), a1);
      a2 = madd(qv, v128.load32_splat(k2 + to), a2);
      a3 = madd(qv, v128.load32_splat(k3 + to), a3);
      qp += mpBytes;
    }
    const s0 = sBase + (jj as usize) * mpBytes;
    v128.store(s0, a0);
    v128.store(s0 + mpBytes, a1);
    v128.store(s0 + 2 * mpBytes, a2);
    v128.store(s0 + 3 * mpBytes, a3);
  }
  for (; jj < nk; jj++) {
    const k0 = kBase + (jj as usize) * kStride;
    let a0 = f32x4.splat(0);
    let qp = qBase;
    for (let t = 0; t < n; t++) {
      a0 = madd(v128.load(qp), v128.load32_splat(k0 + ((t as usize) << 2)), a0);
      qp += mpBytes;
    }
    v128.store(sBase + (jj as usize) * mpBytes, a0);
  }
}

/**
 * Qc of 4 rows (q at p0..p3, scaled) for scoresDimLanes: chunk c holds dims [4c, 4c + 4)
 * of row 0, 1, 2, 3 (64 bytes); then each of the d % 4 dims left as one vector of the 4
 * rows (as in Qt), for addTailDims.
 */
function packDimLanes(dst: usize, p0: usize, p1: usize, p2: usize, p3: usize, has1: bool, has2: bool, has3: bool, qScale: v128): void {
  const zero = f32x4.splat(0);
  const d4 = d & ~3;
  let t = 0;
  for (; t < d4; t += 4) {
    const to = (t as usize) << 2;
    v128.store(dst, f32x4.mul(v128.load(p0 + to), qScale));
    v128.store(dst, has1 ? f32x4.mul(v128.load(p1 + to), qScale) : zero, 16);
    v128.store(dst, has2 ? f32x4.mul(v128.load(p2 + to), qScale) : zero, 32);
    v128.store(dst, has3 ? f32x4.mul(v128.load(p3 + to), qScale) : zero, 48);
    dst += 64;
  }
  for (; t < d; t++) {
    const to = (t as usize) << 2;
    let x = f32x4.replace_lane(zero, 0, load<f32>(p0 + to));
    if (has1) x = f32x4.replace_lane(x, 1, load<f32>(p1 + to));
    if (has2) x = f32x4.replace_lane(x, 2, load<f32>(p2 + to));
    if (has3) x = f32x4.replace_lane(x, 3, load<f32>(p3 + to));
    v128.store(dst, f32x4.mul(x, qScale));
    dst += 16;
  }
}

/** s (4 rows' scores against the key at kp) plus the products of the d % 4 = n dims left (Qc at qp). */
// @ts-ignore: decorator
@inline
function addTailDims(s: v128, qp: usize, kp: usize, n: i32): v128 {
  s = madd(v128.load(qp), v128.load32_splat(kp), s);
  if (n > 1) s = madd(v128.load(qp, 16), v128.load32_splat(kp, 4), s);
  if (n > 2) s = madd(v128.load(qp, 32), v128.load32_splat(kp, 8), s);
  return s;
}

/** [Σ a0, Σ a1, Σ a2, Σ a3]: the lanes of each vector summed, as 6 shuffles and 3 adds. */
// @ts-ignore: decorator
@inline
function sum4x4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const x = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const y = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(x, y, 0, 1, 4, 5), v128.shuffle<f32>(x, y, 2, 3, 6, 7));
}

/**
 * Scores of a tile under 16 rows (decode: one query × a group of heads) from Qc (packDimLanes):
 * dot products with 4 dims in the lanes, 4 rows × 2 keys per pass (8 accumulators), the
 * lanes summed once per key (sum4x4). The splatted-key kernels it replaced loaded 20
 * vectors per 16 multiply-adds. Decode over 2048 keys, 1 thread (Zen 5, CPU-time medians
 * of 400 calls, 3 alternating runs): 32/8/64 0.378 -> 0.346 ms; 32/4/64 (8 rows, two
 * passes) 0.340 -> 0.338 ms; 32/8/128 unchanged at ~0.88 ms, where K/V (16 MiB) come from
 * L3. Unrolling the dim loop twice measured 10% slower (V8 spills the 8 accumulators).
 */
function scoresDimLanes(M: i32, Mp: i32, kBase: usize, kStride: usize, nk: i32): void {
  const d4 = d & ~3;
  const tail = d - d4;
  const mpBytes = (Mp as usize) << 2;
  const groupBytes = (((d + 3) & ~3) as usize) << 4;
  const chunksEnd = (d4 as usize) << 4;
  for (let rb = 0; rb < Mp; rb += 4) {
    if (M - rb <= 2) {
      // 1 or 2 real rows (MHA; groups of 2, 5, 6...): one row at a time, not 4 with padding.
      for (let r = rb; r < M; r++) scoresOneRow(r, Mp, kBase, kStride, nk);
      break;
    }
    const qBase = sQt + ((rb >> 2) as usize) * groupBytes;
    const qEnd = qBase + chunksEnd;
    const sBase = sS + ((rb as usize) << 2);
    let jj = 0;
    for (; jj + 2 <= nk; jj += 2) {
      let k0 = kBase + (jj as usize) * kStride;
      let k1 = k0 + kStride;
      let a00 = f32x4.splat(0), a10 = f32x4.splat(0), a20 = f32x4.splat(0), a30 = f32x4.splat(0);
      let a01 = f32x4.splat(0), a11 = f32x4.splat(0), a21 = f32x4.splat(0), a31 = f32x4.splat(0);
      let qp = qBase;
      while (qEnd > qp) {
        const x0 = v128.load(k0), x1 = v128.load(k1);
        const q0 = v128.load(qp), q1 = v128.load(qp, 16), q2 = v128.load(qp, 32), q3 = v128.load(qp, 48);
        a00 = madd(q0, x0, a00);
        a01 = madd(q0, x1, a01);
        a10 = madd(q1, x0, a10);
        a11 = madd(q1, x1, a11);
        a20 = madd(q2, x0, a20);
        a21 = madd(q2, x1, a21);
        a30 = madd(q3, x0, a30);
        a31 = madd(q3, x1, a31);
        k0 += 16;
        k1 += 16;
        qp += 64;
      }
      let s0 = sum4x4(a00, a10, a20, a30), s1 = sum4x4(a01, a11, a21, a31);
      if (tail) {
        s0 = addTailDims(s0, qp, k0, tail);
        s1 = addTailDims(s1, qp, k1, tail);
      }
      const sp = sBase + (jj as usize) * mpBytes;
      v128.store(sp, s0);
      v128.store(sp + mpBytes, s1);
    }
    if (jj < nk) {
      let k0 = kBase + (jj as usize) * kStride;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let qp = qBase;
      while (qEnd > qp) {
        const x0 = v128.load(k0);
        a0 = madd(v128.load(qp), x0, a0);
        a1 = madd(v128.load(qp, 16), x0, a1);
        a2 = madd(v128.load(qp, 32), x0, a2);
        a3 = madd(v128.load(qp, 48), x0, a3);
        k0 += 16;
        qp += 64;
      }
      let s0 = sum4x4(a0, a1, a2, a3);
      if (tail) s0 = addTailDims(s0, qp, k0, tail);
      v128.store(sBase + (jj as usize) * mpBytes, s0);
    }
  }
}

/**
 * Scores of row r alone from Qc (its lane of each 64-byte chunk): 1 row × 4 keys per pass,
 * dims in the lanes, one horizontal sum per 4 keys (sum4x4 gives the 4 keys' scores). For
 * a group with 1 or 2 rows left, where the 4-row kernel would spend half or more of its
 * work on zero padding rows. With accumulateTail's keys-outer P·V, decode over 2048 keys
 * (1 thread, ab.mjs medians): MHA 32/32/128 9.17 -> 5.30 ms (over 512 keys 2.23 -> 1.16),
 * 5-head groups 40/8/128 2.90 -> 1.92, 7-head 28/4/128 0.95 -> 0.75, 3-head 24/8/64 0.76
 * -> 0.56, 2-head 16/8/64 0.455 -> 0.414; 4-head groups unchanged. Two chunks per step
 * (and two vectors per step in accumulateTail) keep more loads in flight when K/V come from
 * DRAM: MHA over 2048 keys 3-18% faster, no change in cache.
 */
function scoresOneRow(r: i32, Mp: i32, kBase: usize, kStride: usize, nk: i32): void {
  const d4 = d & ~3;
  const tail = d - d4;
  const mpBytes = (Mp as usize) << 2;
  const rowGroup = sQt + ((r >> 2) as usize) * ((((d + 3) & ~3) as usize) << 4); // Qc of the 4 rows from r & ~3
  const lane = ((r & 3) as usize) << 2;
  const qBase = rowGroup + (lane << 2);
  const qEnd = rowGroup + ((d4 as usize) << 4);
  const qEnd2 = rowGroup + (((d4 as usize) << 4) & ~(127 as usize)); // pairs of chunks
  const qTail = qEnd + lane; // row r's q[d4 + i] at qTail + 16·i
  let sp = sS + ((r as usize) << 2);
  let jj = 0;
  for (; jj + 4 <= nk; jj += 4) {
    storeQuad(sp, mpBytes, rowQuad(qBase, qEnd2, qEnd, qTail, tail, kBase + (jj as usize) * kStride, kStride));
    sp += 4 * mpBytes;
  }
  for (; jj < nk; jj++) {
    store<f32>(sp, rowOne(qBase, qEnd, qTail, tail, kBase + (jj as usize) * kStride));
    sp += mpBytes;
  }
}

/**
 * Scores of a span tile (MHA decode, kvSpan > 1): row r is head tH0 + r, its K slice d
 * floats after row r - 1's. Key quads outer, rows inner, each row scoresOneRow's 1 row × 4
 * keys: the 4 keys' K rows are read front to back, 4 streams the prefetchers follow, where
 * a tile per head read a d-float slice of each key (Hkv·d floats apart), which they do not.
 */
function scoresSpan(M: i32, Mp: i32, kBase: usize, kStride: usize, nk: i32): void {
  const d4 = d & ~3;
  const tail = d - d4;
  const mpBytes = (Mp as usize) << 2;
  const groupBytes = (((d + 3) & ~3) as usize) << 4;
  const headBytes = (d as usize) << 2;
  let jj = 0;
  for (; jj + 4 <= nk; jj += 4) {
    const kRow = kBase + (jj as usize) * kStride;
    const sRow = sS + (jj as usize) * mpBytes;
    for (let r = 0; r < M; r++) {
      const rowGroup = sQt + ((r >> 2) as usize) * groupBytes;
      const lane = ((r & 3) as usize) << 2;
      const qEnd = rowGroup + ((d4 as usize) << 4);
      const s4 = rowQuad(rowGroup + (lane << 2), rowGroup + (((d4 as usize) << 4) & ~(127 as usize)), qEnd, qEnd + lane, tail, kRow + (r as usize) * headBytes, kStride);
      storeQuad(sRow + ((r as usize) << 2), mpBytes, s4);
    }
  }
  for (; jj < nk; jj++) {
    const kRow = kBase + (jj as usize) * kStride;
    const sRow = sS + (jj as usize) * mpBytes;
    for (let r = 0; r < M; r++) {
      const rowGroup = sQt + ((r >> 2) as usize) * groupBytes;
      const lane = ((r & 3) as usize) << 2;
      const qEnd = rowGroup + ((d4 as usize) << 4);
      store<f32>(sRow + ((r as usize) << 2), rowOne(rowGroup + (lane << 2), qEnd, qEnd + lane, tail, kRow + (r as usize) * headBytes));
    }
  }
}

/** The 4 lanes of s4 to sp, sp + step, sp + 2·step, sp + 3·step (one row's scores of 4 keys). */
// @ts-ignore: decorator
@inline
function storeQuad(sp: usize, step: usize, s4: v128): void {
  store<f32>(sp, f32x4.extract_lane(s4, 0));
  store<f32>(sp + step, f32x4.extract_lane(s4, 1));
  store<f32>(sp + 2 * step, f32x4.extract_lane(s4, 2));
  store<f32>(sp + 3 * step, f32x4.extract_lane(s4, 3));
}

/**
 * One row's scores against the 4 keys at k0, k0 + kStride...: its q from Qc (qBase, a
 * lane of each 64-byte chunk, to qEnd; qEnd2: the end of the pairs of chunks; qTail: its
 * d % 4 last dims, 16 bytes apart) times each key, summed by sum4x4.
 * Two chunks a step is the most V8's TurboFan keeps in registers (10 loads, 8 mul, 8 add
 * per step). MHA 32/32/128 decode, 1 thread (issue 18): 8 accumulators (no add chain
 * across the step) measured 0.997-1.006x over 256-16384 keys, so the loop is not bound by
 * add latency; four chunks a step with 8 accumulators 1.18-1.29x slower over 256 keys (in
 * L3): TurboFan schedules the step's 20 loads first and spills half of them to the stack.
 */
// @ts-ignore: decorator
@inline
function rowQuad(qBase: usize, qEnd2: usize, qEnd: usize, qTail: usize, tail: i32, k0: usize, kStride: usize): v128 {
  let k1 = k0 + kStride, k2 = k1 + kStride, k3 = k2 + kStride;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let qp = qBase;
  while (qEnd2 > qp) {
    const qv = v128.load(qp), qw = v128.load(qp, 64);
    a0 = madd(qv, v128.load(k0), a0);
    a1 = madd(qv, v128.load(k1), a1);
    a2 = madd(qv, v128.load(k2), a2);
    a3 = madd(qv, v128.load(k3), a3);
    a0 = madd(qw, v128.load(k0, 16), a0);
    a1 = madd(qw, v128.load(k1, 16), a1);
    a2 = madd(qw, v128.load(k2, 16), a2);
    a3 = madd(qw, v128.load(k3, 16), a3);
    k0 += 32;
    k1 += 32;
    k2 += 32;
    k3 += 32;
    qp += 128;
  }
  if (qEnd > qp) {
    const qv = v128.load(qp);
    a0 = madd(qv, v128.load(k0), a0);
    a1 = madd(qv, v128.load(k1), a1);
    a2 = madd(qv, v128.load(k2), a2);
    a3 = madd(qv, v128.load(k3), a3);
    k0 += 16;
    k1 += 16;
    k2 += 16;
    k3 += 16;
  }
  let s4 = sum4x4(a0, a1, a2, a3);
  for (let i = 0; i < tail; i++) {
    const io = (i as usize) << 2;
    let kv = f32x4.replace_lane(f32x4.splat(load<f32>(k0 + io)), 1, load<f32>(k1 + io));
    kv = f32x4.replace_lane(f32x4.replace_lane(kv, 2, load<f32>(k2 + io)), 3, load<f32>(k3 + io));
    s4 = madd(v128.load32_splat(qTail + (io << 2)), kv, s4);
  }
  return s4;
}

/** rowQuad for one key at k0. */
// @ts-ignore: decorator
@inline
function rowOne(qBase: usize, qEnd: usize, qTail: usize, tail: i32, k0: usize): f32 {
  let a0 = f32x4.splat(0);
  let qp = qBase;
  while (qEnd > qp) {
    a0 = madd(v128.load(qp), v128.load(k0), a0);
    k0 += 16;
    qp += 64;
  }
  let sc = f32x4.extract_lane(sum4x4(a0, a0, a0, a0), 0);
  for (let i = 0; i < tail; i++) {
    const io = (i as usize) << 2;
    sc += load<f32>(qTail + (io << 2)) * load<f32>(k0 + io);
  }
  return sc;
}

/** score = softcap · tanh(score / softcap), before any masking (Gemma 2). */
function applySoftcap(Mp: i32, nk: i32): void {
  const cap = f32x4.splat(softcap);
  const invCap = f32x4.splat((1.0 as f32) / softcap);
  const end = sS + (((nk * Mp) as usize) << 2);
  for (let p = sS; p < end; p += 16) v128.store(p, f32x4.mul(cap, tanh4(f32x4.mul(v128.load(p), invCap))));
}

/**
 * Adds mask[b | 0, h | 0, i, j] to each row's scores (a gather: rows differ in query and
 * head); a value <= -1e30 masks its key (-Inf), so a row masked with finfo.min everywhere is
 * zeros, not the mean of its values (score + finfo.min rounds alike for every key).
 */
function applyMask(b: i32, h0: i32, nh: i32, i0: i32, M: i32, Mp: i32, j0: i32, nk: i32): void {
  const mb = maskBatch == 1 ? 0 : b;
  for (let r = 0; r < M; r++) {
    const mh = maskHeads == 1 ? 0 : h0 + r % nh;
    const row = mask + (((((mb * maskHeads + mh) * seqQ + i0 + r / nh) as usize) * (seqKV as usize) + (j0 as usize)) << 2);
    let p = sS + ((r as usize) << 2);
    const step = (Mp as usize) << 2;
    for (let jj = 0; jj < nk; jj++) {
      const m = load<f32>(row + ((jj as usize) << 2));
      store<f32>(p, select<f32>(NEG_INF, load<f32>(p) + m, m <= MASKED));
      p += step;
    }
  }
}

/** Scores of keys a row may not see become -Inf: j > p (causal), j <= p - window. */
function applyVisibility(Mp: i32, j0: i32, nk: i32): void {
  const negInf = f32x4.splat(NEG_INF);
  const win = i32x4.splat(window);
  for (let rv = 0; rv < Mp; rv += 4) {
    const pos = v128.load(sPos + ((rv as usize) << 2));
    const lowest = i32x4.sub(pos, win); // keys j > p - window are inside the window
    let p = sS + ((rv as usize) << 2);
    for (let jj = 0; jj < nk; jj++) {
      const j = i32x4.splat(j0 + jj);
      let visible = i32x4.splat(-1);
      if (causal) visible = i32x4.le_s(j, pos);
      if (window > 0) visible = v128.and(visible, i32x4.gt_s(j, lowest));
      v128.store(p, v128.bitselect(v128.load(p), negInf, visible));
      p += (Mp as usize) << 2;
    }
  }
}

/**
 * Online softmax over the block: new max, rescale factor alpha = 2^((m_old - m_new)·log2 e),
 * P = 2^((S - m_new)·log2 e - 32), l. Subtracting before the log2 e multiply keeps every
 * finite score finite (S - m <= 0). The max runs as four independent chains and the sum as
 * two: one chain would make the loops latency-bound (maxps/addps latency per key).
 */
function softmaxUpdate(Mp: i32, nk: i32): void {
  const negInf = f32x4.splat(NEG_INF);
  const zero = f32x4.splat(0);
  const step = (Mp as usize) << 2;
  for (let rv = 0; rv < Mp; rv += 4) {
    const ro = (rv as usize) << 2;
    const mOld = v128.load(sM + ro);
    // pmax (one maxps) skips NaN scores here, but exp2s4 keeps them NaN below, so a NaN
    // query still poisons its own row (P, l and O become NaN), as in the reference.
    let m0 = negInf, m1 = negInf, m2 = negInf, m3 = negInf;
    let p = sS + ro;
    let jj = 0;
    for (; jj + 4 <= nk; jj += 4) {
      m0 = f32x4.pmax(m0, v128.load(p));
      m1 = f32x4.pmax(m1, v128.load(p + step));
      m2 = f32x4.pmax(m2, v128.load(p + 2 * step));
      m3 = f32x4.pmax(m3, v128.load(p + 3 * step));
      p += 4 * step;
    }
    for (; jj < nk; jj++) {
      m0 = f32x4.pmax(m0, v128.load(p));
      p += step;
    }
    const mNew = f32x4.pmax(mOld, f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3)));
    // A row that has seen only -Inf keeps max 0 for the exponent, so 2^(-Inf - 0) = 0.
    const mSafe = v128.bitselect(mNew, zero, f32x4.ne(mNew, negInf));
    const log2e = f32x4.splat(LOG2E);
    const alpha = exp2n4(f32x4.mul(f32x4.sub(mOld, mSafe), log2e));
    let s0 = zero, s1 = zero;
    p = sS + ro;
    jj = 0;
    for (; jj + 2 <= nk; jj += 2) {
      const e0 = exp2s4(f32x4.mul(f32x4.sub(v128.load(p), mSafe), log2e));
      const e1 = exp2s4(f32x4.mul(f32x4.sub(v128.load(p + step), mSafe), log2e));
      v128.store(p, e0);
      v128.store(p + step, e1);
      s0 = f32x4.add(s0, e0);
      s1 = f32x4.add(s1, e1);
      p += 2 * step;
    }
    if (jj < nk) {
      const e = exp2s4(f32x4.mul(f32x4.sub(v128.load(p), mSafe), log2e));
      v128.store(p, e);
      s0 = f32x4.add(s0, e);
    }
    v128.store(sM + ro, mNew);
    v128.store(sAlpha + ro, alpha);
    v128.store(sL + ro, f32x4.add(f32x4.mul(v128.load(sL + ro), alpha), f32x4.add(s0, s1)));
  }
}

/**
 * O[r] = alpha[r]·O[r] + Σ_jj P[jj][r]·v_jj, 2 rows × 16 dims at a time.
 * In a block that is not wholly visible (`masked`), each row only visits the keys its
 * causal/window range allows: P is 0 for the others, but 0·v would still be NaN if v
 * held NaN, and the reference never reads a value its query cannot see. Two rows share
 * the micro-kernel only when they share a position (the heads of one query); otherwise
 * a row goes alone. `half`: V holds f16 (vStride bytes between rows of halves), converted
 * in registers by the micro-kernels' f16 forms (accumulatePairHalf, accumulateTailHalf).
 */
function accumulate(M: i32, Mp: i32, vBase: usize, vStride: usize, nk: i32, j0: i32, masked: bool, half: bool): void {
  const n16 = dv & ~15;
  // 16-dim slices outer, row pairs inner: one slice of the V block (nk lines) stays in L1
  // while every pair reads it.
  for (let t = 0; t < n16; t += 16) {
    let r = 0;
    while (r < M) {
      const pos = load<i32>(sPos + ((r as usize) << 2));
      const lo = keysFrom(pos, j0, masked);
      const hi = keysTo(pos, j0, nk, lo, masked);
      if (pairsWithNext(r, M, pos, masked)) {
        if (half) accumulatePairHalf(r, t, Mp, vBase, vStride, lo, hi);
        else accumulatePair(r, t, Mp, vBase, vStride, lo, hi);
        r += 2;
      } else {
        r += 1;
      }
    }
  }
  // What the pairs left: their dims past n16, and every dim of an unpaired row.
  let r = 0;
  while (r < M) {
    const pos = load<i32>(sPos + ((r as usize) << 2));
    const lo = keysFrom(pos, j0, masked);
    const hi = keysTo(pos, j0, nk, lo, masked);
    if (pairsWithNext(r, M, pos, masked)) {
      if (n16 < dv) {
        if (half) accumulateTailHalf(r, 2, n16, Mp, vBase, vStride, lo, hi);
        else accumulateTail(r, 2, n16, Mp, vBase, vStride, lo, hi);
      }
      r += 2;
    } else {
      if (half) accumulateTailHalf(r, 1, 0, Mp, vBase, vStride, lo, hi);
      else accumulateTail(r, 1, 0, Mp, vBase, vStride, lo, hi);
      r += 1;
    }
  }
}

/** First key of the block (index from j0) a row at position `pos` may see: the window's start. */
// @ts-ignore: decorator
@inline
function keysFrom(pos: i32, j0: i32, masked: bool): i32 {
  return masked && window > 0 ? max(0, pos - window + 1 - j0) : 0;
}

/** End (exclusive, >= lo) of the block's keys a row at `pos` may see: the causal bound. */
// @ts-ignore: decorator
@inline
function keysTo(pos: i32, j0: i32, nk: i32, lo: i32, masked: bool): i32 {
  return max(lo, masked && causal ? min(nk, pos + 1 - j0) : nk);
}

/** Row r shares the 2-row micro-kernel with row r + 1: it exists and, in a masked block, has the same position. */
// @ts-ignore: decorator
@inline
function pairsWithNext(r: i32, M: i32, pos: i32, masked: bool): bool {
  return r + 1 < M && (!masked || load<i32>(sPos + ((r as usize) << 2), 4) == pos);
}

/** Rows r and r + 1, dims [t, t + 16), over keys [lo, hi) of the block: the 2 × 16 micro-kernel. */
function accumulatePair(r: i32, t: i32, Mp: i32, vBase: usize, vStride: usize, lo: i32, hi: i32): void {
  const mpBytes = (Mp as usize) << 2;
  const rowBytes = (dv as usize) << 2;
  const al0 = v128.load32_splat(sAlpha + ((r as usize) << 2));
  const al1 = v128.load32_splat(sAlpha + ((r as usize) << 2), 4);
  const to = (t as usize) << 2;
  const o0p = sO + (r as usize) * rowBytes + to;
  const o1p = o0p + rowBytes;
  let a0 = f32x4.mul(v128.load(o0p), al0), a1 = f32x4.mul(v128.load(o0p, 16), al0);
  let a2 = f32x4.mul(v128.load(o0p, 32), al0), a3 = f32x4.mul(v128.load(o0p, 48), al0);
  let b0 = f32x4.mul(v128.load(o1p), al1), b1 = f32x4.mul(v128.load(o1p, 16), al1);
  let b2 = f32x4.mul(v128.load(o1p, 32), al1), b3 = f32x4.mul(v128.load(o1p, 48), al1);
  let vp = vBase + (lo as usize) * vStride + to;
  let pp = sS + ((r as usize) << 2) + (lo as usize) * mpBytes;
  for (let jj = lo; jj < hi; jj++) {
    const p0 = v128.load32_splat(pp);
    const p1 = v128.load32_splat(pp, 4);
    const v0 = v128.load(vp), v1 = v128.load(vp, 16), v2 = v128.load(vp, 32), v3 = v128.load(vp, 48);
    a0 = madd(p0, v0, a0);
    a1 = madd(p0, v1, a1);
    a2 = madd(p0, v2, a2);
    a3 = madd(p0, v3, a3);
    b0 = madd(p1, v0, b0);
    b1 = madd(p1, v1, b1);
    b2 = madd(p1, v2, b2);
    b3 = madd(p1, v3, b3);
    vp += vStride;
    pp += mpBytes;
  }
  v128.store(o0p, a0); v128.store(o0p, a1, 16); v128.store(o0p, a2, 32); v128.store(o0p, a3, 48);
  v128.store(o1p, b0); v128.store(o1p, b1, 16); v128.store(o1p, b2, 32); v128.store(o1p, b3, 48);
}

/**
 * Rows [r0, r0 + rows) from dim t0 on, over keys [lo, hi), each row alone: a row with no
 * partner (MHA, an odd group, a masked block's rows at different positions) and the dims
 * past the pairs' 16-wide slices. Keys go 4 at a time with the row's O slice in memory
 * (L1): each step reads 4 whole V rows front to back, so a cache in place (V rows Hkv·dv
 * floats apart, 16 KiB for MHA 32 × 128) streams, and no add chain waits on the one
 * before it. (Dims outer with one accumulator per 4 dims made every key wait on the add
 * of the previous one: MHA decode 32/32/128 over 2048 keys took 9.2 ms.)
 */
function accumulateTail(r0: i32, rows: i32, t0: i32, Mp: i32, vBase: usize, vStride: usize, lo: i32, hi: i32): void {
  const n = dv;
  const n4 = t0 + ((n - t0) & ~3);
  const mpBytes = (Mp as usize) << 2;
  const rowBytes = (n as usize) << 2;
  const t0Bytes = (t0 as usize) << 2;
  for (let r = r0; r < r0 + rows; r++) {
    const op = sO + (r as usize) * rowBytes;
    scaleRow(op, load<f32>(sAlpha + ((r as usize) << 2)), t0, n4, n);
    let pp = sS + ((r as usize) << 2) + (lo as usize) * mpBytes;
    let vp = vBase + (lo as usize) * vStride;
    let jj = lo;
    for (; jj + 4 <= hi; jj += 4) {
      addQuad(op, vp, vStride, pp, mpBytes, t0Bytes, n4, n);
      pp += 4 * mpBytes;
      vp += 4 * vStride;
    }
    for (; jj < hi; jj++) {
      addOne(op, vp, pp, t0Bytes, n4, n);
      pp += mpBytes;
      vp += vStride;
    }
  }
}

/**
 * P·V of a span tile (MHA decode, kvSpan > 1): row r is head tH0 + r, its V slice dv
 * floats after row r - 1's. Key quads outer, rows inner, each row accumulateTail's 4 keys
 * over its whole slice: the 4 keys' V rows are read front to back (scoresSpan). The rows
 * share one query, so one visible range [lo, hi). MHA 32/32/128 over 256 keys (K/V in
 * L3, 1 thread, node --cpu-prof): this function takes 46% of the call, scoresSpan 40%,
 * softmaxUpdate 4%; 512-562 ns per key in all.
 */
function accumulateSpan(M: i32, vBase: usize, vStride: usize, nk: i32, j0: i32, masked: bool): void {
  const n = dv;
  const n4 = n & ~3;
  const mpBytes = (tMp as usize) << 2;
  const rowBytes = (n as usize) << 2;
  const pos = load<i32>(sPos);
  const lo = keysFrom(pos, j0, masked);
  const hi = keysTo(pos, j0, nk, lo, masked);
  for (let r = 0; r < M; r++) scaleRow(sO + (r as usize) * rowBytes, load<f32>(sAlpha + ((r as usize) << 2)), 0, n4, n);
  let jj = lo;
  for (; jj + 4 <= hi; jj += 4) {
    const vRow = vBase + (jj as usize) * vStride;
    const pRow = sS + (jj as usize) * mpBytes;
    for (let r = 0; r < M; r++) {
      const ro = (r as usize) * rowBytes;
      addQuad(sO + ro, vRow + ro, vStride, pRow + ((r as usize) << 2), mpBytes, 0, n4, n);
    }
  }
  for (; jj < hi; jj++) {
    const vRow = vBase + (jj as usize) * vStride;
    const pRow = sS + (jj as usize) * mpBytes;
    for (let r = 0; r < M; r++) {
      const ro = (r as usize) * rowBytes;
      addOne(sO + ro, vRow + ro, pRow + ((r as usize) << 2), 0, n4, n);
    }
  }
}

/** O row at op, dims [t0, n), times alpha (n4: t0 plus a multiple of 4). */
// @ts-ignore: decorator
@inline
function scaleRow(op: usize, al: f32, t0: i32, n4: i32, n: i32): void {
  const alV = f32x4.splat(al);
  const n4Bytes = (n4 as usize) << 2;
  for (let o = (t0 as usize) << 2; o < n4Bytes; o += 16) v128.store(op + o, f32x4.mul(v128.load(op + o), alV));
  for (let t = n4; t < n; t++) store<f32>(op + ((t as usize) << 2), load<f32>(op + ((t as usize) << 2)) * al);
}

/**
 * O row at op, dims [t0, n), plus the 4 keys' P (at pp, pp + step...) times their V rows
 * (vp, vp + vStride...): each step reads 4 whole V rows front to back, no add chain
 * waiting on the one before it.
 */
// @ts-ignore: decorator
@inline
function addQuad(op: usize, vp: usize, vStride: usize, pp: usize, step: usize, t0Bytes: usize, n4: i32, n: i32): void {
  const n4Bytes = (n4 as usize) << 2;
  const p0 = v128.load32_splat(pp), p1 = v128.load32_splat(pp + step);
  const p2 = v128.load32_splat(pp + 2 * step), p3 = v128.load32_splat(pp + 3 * step);
  const v1 = vp + vStride, v2 = v1 + vStride, v3 = v2 + vStride;
  let o = t0Bytes;
  for (; o + 16 < n4Bytes; o += 32) {
    const s01 = f32x4.add(f32x4.mul(p0, v128.load(vp + o)), f32x4.mul(p1, v128.load(v1 + o)));
    const s23 = f32x4.add(f32x4.mul(p2, v128.load(v2 + o)), f32x4.mul(p3, v128.load(v3 + o)));
    const t01 = f32x4.add(f32x4.mul(p0, v128.load(vp + o, 16)), f32x4.mul(p1, v128.load(v1 + o, 16)));
    const t23 = f32x4.add(f32x4.mul(p2, v128.load(v2 + o, 16)), f32x4.mul(p3, v128.load(v3 + o, 16)));
    v128.store(op + o, f32x4.add(v128.load(op + o), f32x4.add(s01, s23)));
    v128.store(op + o, f32x4.add(v128.load(op + o, 16), f32x4.add(t01, t23)), 16);
  }
  if (o < n4Bytes) {
    const s01 = f32x4.add(f32x4.mul(p0, v128.load(vp + o)), f32x4.mul(p1, v128.load(v1 + o)));
    const s23 = f32x4.add(f32x4.mul(p2, v128.load(v2 + o)), f32x4.mul(p3, v128.load(v3 + o)));
    v128.store(op + o, f32x4.add(v128.load(op + o), f32x4.add(s01, s23)));
  }
  for (let t = n4; t < n; t++) {
    const to = (t as usize) << 2;
    const s01 = f32x4.extract_lane(p0, 0) * load<f32>(vp + to) + f32x4.extract_lane(p1, 0) * load<f32>(v1 + to);
    const s23 = f32x4.extract_lane(p2, 0) * load<f32>(v2 + to) + f32x4.extract_lane(p3, 0) * load<f32>(v3 + to);
    store<f32>(op + to, load<f32>(op + to) + (s01 + s23));
  }
}

/** addQuad for one key: O row at op, dims [t0, n), plus P (at pp) times the V row at vp. */
// @ts-ignore: decorator
@inline
function addOne(op: usize, vp: usize, pp: usize, t0Bytes: usize, n4: i32, n: i32): void {
  const n4Bytes = (n4 as usize) << 2;
  const p0 = v128.load32_splat(pp);
  for (let o = t0Bytes; o < n4Bytes; o += 16) v128.store(op + o, madd(p0, v128.load(vp + o), v128.load(op + o)));
  for (let t = n4; t < n; t++) {
    const to = (t as usize) << 2;
    store<f32>(op + to, load<f32>(op + to) + f32x4.extract_lane(p0, 0) * load<f32>(vp + to));
  }
}

/**
 * Copies each (batch, KV head)'s keys and values [0, jHi) into contiguous rows, units
 * `u = b · Hkv + g`. In place, rows of one head are a token apart (Hkv·d floats, 2 KiB at Hkv 8,
 * d 64): a 128-key block then falls into 2 of L1's 64 sets and is re-fetched from L2 by
 * every row block that reads it. Packed, the causal prefill of 512 is ~2.5% faster (Zen 5,
 * 9 alternating runs, copy included); the copy reads each row once, so the driver packs
 * only when rows are reused many times (prefill).
 * jHi = the keys any query of the batch may see (causal: up to the last query's position).
 */
export function gqaPack(params: usize, start: i32, end: i32, thread: i32): void {
  const kSrc = GqaParams.k(params);
  const vSrc = GqaParams.v(params);
  const kDst = GqaParams.kPack(params);
  const vDst = GqaParams.vPack(params);
  const rows = GqaParams.packRows(params) as usize;
  const sq = GqaParams.seqQ(params);
  const skv = GqaParams.seqKV(params) as usize;
  const hkv = GqaParams.headsKV(params);
  const dk = GqaParams.headDim(params) as usize;
  const dvv = GqaParams.headDimV(params) as usize;
  const isCausal = GqaParams.causal(params);
  const kvl = GqaParams.kvLength(params);
  const qoff = GqaParams.queryOffset(params);
  const half = GqaParams.kvHalf(params); // f16 K/V: widened into the f32 pack
  const eltShift: usize = half ? 1 : 2;
  const kToken = (GqaParams.kRowStride(params) as usize) << eltShift;
  const vToken = (GqaParams.vRowStride(params) as usize) << eltShift;
  for (let u = start; u < end; u++) {
    const b = u / hkv;
    const g = u % hkv;
    let hi = load<i32>(kvl + ((b as usize) << 2));
    if (isCausal) hi = min(hi, load<i32>(qoff + ((b as usize) << 2)) + sq);
    hi = min(max(hi, 0), rows as i32);
    const slot = (u as usize) * rows;
    const token = (b as usize) * skv; // the batch's first K/V token
    if (half) {
      widenRows(kSrc + token * kToken + (((g as usize) * dk) << 1), kToken, kDst + ((slot * dk) << 2), dk, hi);
      widenRows(vSrc + token * vToken + (((g as usize) * dvv) << 1), vToken, vDst + ((slot * dvv) << 2), dvv, hi);
      continue;
    }
    packRowsOf(kSrc + token * kToken + (((g as usize) * dk) << 2), kToken, kDst + ((slot * dk) << 2), dk, hi);
    packRowsOf(vSrc + token * vToken + (((g as usize) * dvv) << 2), vToken, vDst + ((slot * dvv) << 2), dvv, hi);
  }
}

/** n rows of `width` floats, `srcStride` bytes apart, to contiguous rows at dst. */
function packRowsOf(src: usize, srcStride: usize, dst: usize, width: usize, n: i32): void {
  const bytes = width << 2;
  const vecBytes = bytes & ~15;
  for (let j = 0; j < n; j++) {
    let o: usize = 0;
    for (; o < vecBytes; o += 16) v128.store(dst + o, v128.load(src + o));
    for (; o < bytes; o += 4) store<f32>(dst + o, load<f32>(src + o));
    src += srcStride;
    dst += bytes;
  }
}

/**
 * f16 K/V read in place: keys [j0, j0 + nk) of the current tile's K and V rows widened into
 * this thread's f32 block buffers (contiguous rows of d and dv floats). Returns the K base
 * the f32 kernels index with j0 (sKBlk - j0 rows), as tKHead would be for f32 rows.
 */
function widenKV(j0: i32, nk: i32): usize {
  widenRows(tKHead + (j0 as usize) * tKStride, tKStride, sKBlk, d as usize, nk);
  widenRows(tVHead + (j0 as usize) * tVStride, tVStride, sVBlk, dv as usize, nk);
  return sKBlk - (j0 as usize) * ((d as usize) << 2);
}

/**
 * 4 halves, sign-extended into i32 lanes, as exact f32: shifted left 13, the sign copies
 * at bits 28-30 cleared (sign at 31, exponent at 23-27, mantissa at 13-22), times 2^112
 * (re-biasing 15 -> 127: exact for normals, subnormals and zeros); exponent 31 (Inf/NaN)
 * gets the all-ones f32 exponent, mantissa kept (as convert.ts's widen).
 */
// @ts-ignore: decorator
@inline
function halfToF32x4(x: v128): v128 {
  const m = v128.and(i32x4.shl(x, 13), i32x4.splat(0x8fffffff));
  const e = v128.and(m, i32x4.splat(0x0f800000));
  const special = i32x4.eq(e, i32x4.splat(0x0f800000));
  return v128.bitselect(v128.or(m, i32x4.splat(0x7f800000)), f32x4.mul(m, i32x4.splat(0x77800000)), special);
}

/**
 * n rows of `width` halves, `srcStride` bytes apart, widened to contiguous f32 rows at dst.
 * Four rows per pass, their loads interleaved: rows in place are a token apart, each one
 * (256-512 bytes) a separate DRAM access, and a row at a time left about one row's misses
 * in flight (MHA 32/32/128 decode over 32768 keys: ~3x slower than four).
 */
function widenRows(src: usize, srcStride: usize, dst: usize, width: usize, n: i32): void {
  const w8 = width & ~(7 as usize);
  const dstRow = width << 2;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const s1 = src + srcStride, s2 = s1 + srcStride, s3 = s2 + srcStride;
    const d1 = dst + dstRow, d2 = d1 + dstRow, d3 = d2 + dstRow;
    let i: usize = 0;
    for (; i < w8; i += 8) {
      const so = i << 1, o = i << 2;
      const h0 = v128.load(src + so), h1 = v128.load(s1 + so), h2 = v128.load(s2 + so), h3 = v128.load(s3 + so);
      v128.store(dst + o, halfToF32x4(i32x4.extend_low_i16x8_s(h0)));
      v128.store(dst + o, halfToF32x4(i32x4.extend_high_i16x8_s(h0)), 16);
      v128.store(d1 + o, halfToF32x4(i32x4.extend_low_i16x8_s(h1)));
      v128.store(d1 + o, halfToF32x4(i32x4.extend_high_i16x8_s(h1)), 16);
      v128.store(d2 + o, halfToF32x4(i32x4.extend_low_i16x8_s(h2)));
      v128.store(d2 + o, halfToF32x4(i32x4.extend_high_i16x8_s(h2)), 16);
      v128.store(d3 + o, halfToF32x4(i32x4.extend_low_i16x8_s(h3)));
      v128.store(d3 + o, halfToF32x4(i32x4.extend_high_i16x8_s(h3)), 16);
    }
    for (; i < width; i++) {
      const so = i << 1, o = i << 2;
      store<f32>(dst + o, halfToF32(load<i16>(src + so)));
      store<f32>(d1 + o, halfToF32(load<i16>(s1 + so)));
      store<f32>(d2 + o, halfToF32(load<i16>(s2 + so)));
      store<f32>(d3 + o, halfToF32(load<i16>(s3 + so)));
    }
    src += 4 * srcStride;
    dst += 4 * dstRow;
  }
  for (; j < n; j++) {
    let i: usize = 0;
    for (; i < w8; i += 8) {
      const h = v128.load(src + (i << 1));
      v128.store(dst + (i << 2), halfToF32x4(i32x4.extend_low_i16x8_s(h)));
      v128.store(dst + (i << 2), halfToF32x4(i32x4.extend_high_i16x8_s(h)), 16);
    }
    for (; i < width; i++) store<f32>(dst + (i << 2), halfToF32(load<i16>(src + (i << 1))));
    src += srcStride;
    dst += dstRow;
  }
}

/** One half (sign-extended) as f32, as halfToF32x4. */
// @ts-ignore: decorator
@inline
function halfToF32(h: i16): f32 {
  return f32x4.extract_lane(halfToF32x4(i32x4.splat(h as i32)), 0);
}

// ---------------------------------------------------------------------------------------
// f16 K/V read in place by tiles under 16 rows (decode): the f32 kernels above with each
// K/V vector converted in registers. v128.load16x4_s puts 4 halves in i32 lanes (sign
// copies in bits 15-31); << 13 and & 0x8fffffff leave the sign at bit 31, exponent and
// mantissa at bits 23-27 / 13-22: the f32 whose value is the half's times 2^-112, exactly
// (subnormal halves become f32 subnormals, zeros stay signed zeros). The 2^112 is applied
// once per score (K) and folded into P (V: P·2^112 <= 2^80, and P·2^112 · v·2^-112 is the
// f32 product P·v itself). An Inf/NaN half (exponent 31) would come out finite, so it is
// flagged instead: one-row kernels (scoresOneRowHalf, accumulateTailHalf) keep the maximum
// of the converted bits shifted left 1 (sign dropped; >= 0x1f000000 is exponent 31,
// noteHalf), tiles of 2+ rows scan the block's halves first (scanHalves). A flag sets this
// thread's flag word, and src/gqa.ts reruns the call on exactly widened f32 copies (the
// staged path), so Inf/NaN K/V give what they gave before, NaN-ness included.
// One-row kernels also load ahead (touchAhead): MHA decode 32/32/128 over 32768 keys, 1
// thread, 106.8 -> 60.5 ms. Without any flag it measured 50.6 ms: the flags cost ~17%;
// an exact in-register fixup (compare, or, select per vector) would cost twice their ops.
// ---------------------------------------------------------------------------------------

/** 2^112 as f32 bits: the half's exponent bias (15) to f32's (127). */
const HALF_SCALE: i32 = 0x77800000;
/** Converted bits shifted left 1 at or above this: an Inf/NaN half. */
const HALF_SPECIAL: i32 = 0x1f000000;
/** The sign and the half's exponent and mantissa, shifted left 13 (the sign copies at bits 28-30 cleared). */
const HALF_MASK: i32 = 0x8fffffff;

/** 4 halves at p as f32 times 2^-112 (see above); mask = HALF_MASK splatted. */
// @ts-ignore: decorator
@inline
function half4(p: usize, mask: v128): v128 {
  return v128.and(i32x4.shl(v128.load16x4_s(p), 13), mask);
}

/** The running flag value with x's lanes (half4 results) in it. */
// @ts-ignore: decorator
@inline
function flag4(f: v128, x: v128): v128 {
  return i32x4.max_u(f, i32x4.add(x, x));
}

/** One half at p as f32 times 2^-112; an Inf/NaN half sets the flag word. */
// @ts-ignore: decorator
@inline
function half1(p: usize): f32 {
  const x = ((load<i16>(p) as i32) << 13) & 0x8fffffff;
  if (((x << 1) as u32) >= (HALF_SPECIAL as u32)) store<i32>(sFlag, 1);
  return reinterpret<f32>(x);
}

/**
 * t with 16 bytes of each 64-byte line of the `rows` rows (`bytes` long, `stride` apart) from
 * p in it: loads that start those rows' cache misses together, before the kernel reaches
 * them (wasm has no prefetch). The caller stores t to sFlag + 16 (a sink).
 */
function touchAhead(t: v128, p: usize, stride: usize, rows: i32, bytes: usize): v128 {
  for (let j = 0; j < rows; j++) {
    for (let o: usize = 0; o < bytes; o += 64) t = v128.or(t, v128.load(p + o));
    t = v128.or(t, v128.load(p + bytes - 16));
    p += stride;
  }
  return t;
}

/**
 * Sets this thread's flag word when any of the n rows (`count` halves each, `stride` bytes
 * apart) from p holds an Inf/NaN half: the halves shifted left 1 (sign dropped), 8 per
 * step, their maximum at or above 0xf800 (exponent 31). Run over a block before tiles of
 * 2+ rows read it, whose kernels (scoresHalf's 4-row pass, accumulatePairHalf) keep no
 * flag: its loads are few ops apart, so they keep many misses in flight and the kernels
 * then read the block from cache (32/8/128 decode over 32768 keys: 43.6 -> 34.0 ms against
 * flags in the kernels; for MHA, one row, it measured 59.5 -> 84-88 ms, so MHA keeps
 * them, with touchAhead).
 */
function scanHalves(p: usize, stride: usize, n: i32, count: i32): void {
  const bytes = (count as usize) << 1;
  const vecBytes = bytes & ~(15 as usize);
  let f = i16x8.splat(0);
  let g: i32 = 0;
  for (let j = 0; j < n; j++) {
    let o: usize = 0;
    for (; o < vecBytes; o += 16) {
      const h = v128.load(p + o);
      f = i16x8.max_u(f, i16x8.add(h, h));
    }
    for (; o < bytes; o += 2) g = max(g, ((load<u16>(p + o) as i32) << 1) & 0xffff);
    p += stride;
  }
  if (v128.any_true(i16x8.ge_u(f, i16x8.splat(0xf800 as i16))) || g >= 0xf800) store<i32>(sFlag, 1);
}

/** Sets the flag word when any lane of f (flag4's) comes from an Inf/NaN half. */
function noteHalf(f: v128): void {
  if (v128.any_true(i32x4.ge_u(f, i32x4.splat(HALF_SPECIAL)))) store<i32>(sFlag, 1);
}

/** scores (tiles under 16 rows) over f16 K: scoresDimLanes with K converted in registers. */
function scoresHalf(M: i32, Mp: i32, kBase: usize, kStride: usize, nk: i32): void {
  const mask = i32x4.splat(HALF_MASK);
  const d4 = d & ~3;
  const tail = d - d4;
  const mpBytes = (Mp as usize) << 2;
  const groupBytes = (((d + 3) & ~3) as usize) << 4;
  const chunksEnd = (d4 as usize) << 4;
  const up = i32x4.splat(HALF_SCALE);
  for (let rb = 0; rb < Mp; rb += 4) {
    if (M - rb <= 2) {
      for (let r = rb; r < M; r++) scoresOneRowHalf(r, Mp, kBase, kStride, nk);
      break;
    }
    const qBase = sQt + ((rb >> 2) as usize) * groupBytes;
    const qEnd = qBase + chunksEnd;
    const sBase = sS + ((rb as usize) << 2);
    let jj = 0;
    for (; jj + 2 <= nk; jj += 2) {
      let k0 = kBase + (jj as usize) * kStride;
      let k1 = k0 + kStride;
      let a00 = f32x4.splat(0), a10 = f32x4.splat(0), a20 = f32x4.splat(0), a30 = f32x4.splat(0);
      let a01 = f32x4.splat(0), a11 = f32x4.splat(0), a21 = f32x4.splat(0), a31 = f32x4.splat(0);
      let qp = qBase;
      while (qEnd > qp) {
        const x0 = half4(k0, mask), x1 = half4(k1, mask);
        const q0 = v128.load(qp), q1 = v128.load(qp, 16), q2 = v128.load(qp, 32), q3 = v128.load(qp, 48);
        a00 = madd(q0, x0, a00);
        a01 = madd(q0, x1, a01);
        a10 = madd(q1, x0, a10);
        a11 = madd(q1, x1, a11);
        a20 = madd(q2, x0, a20);
        a21 = madd(q2, x1, a21);
        a30 = madd(q3, x0, a30);
        a31 = madd(q3, x1, a31);
        k0 += 8;
        k1 += 8;
        qp += 64;
      }
      let s0 = sum4x4(a00, a10, a20, a30), s1 = sum4x4(a01, a11, a21, a31);
      if (tail) {
        s0 = addTailDimsHalf(s0, qp, k0, tail);
        s1 = addTailDimsHalf(s1, qp, k1, tail);
      }
      const sp = sBase + (jj as usize) * mpBytes;
      v128.store(sp, f32x4.mul(s0, up));
      v128.store(sp + mpBytes, f32x4.mul(s1, up));
    }
    if (jj < nk) {
      let k0 = kBase + (jj as usize) * kStride;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let qp = qBase;
      while (qEnd > qp) {
        const x0 = half4(k0, mask);
        a0 = madd(v128.load(qp), x0, a0);
        a1 = madd(v128.load(qp, 16), x0, a1);
        a2 = madd(v128.load(qp, 32), x0, a2);
        a3 = madd(v128.load(qp, 48), x0, a3);
        k0 += 8;
        qp += 64;
      }
      let s0 = sum4x4(a0, a1, a2, a3);
      if (tail) s0 = addTailDimsHalf(s0, qp, k0, tail);
      v128.store(sBase + (jj as usize) * mpBytes, f32x4.mul(s0, up));
    }
  }
}

/** addTailDims over an f16 key (products times 2^-112, as scoresHalf's). */
// @ts-ignore: decorator
@inline
function addTailDimsHalf(s: v128, qp: usize, kp: usize, n: i32): v128 {
  s = madd(v128.load(qp), f32x4.splat(half1(kp)), s);
  if (n > 1) s = madd(v128.load(qp, 16), f32x4.splat(half1(kp + 2)), s);
  if (n > 2) s = madd(v128.load(qp, 32), f32x4.splat(half1(kp + 4)), s);
  return s;
}

/** scoresOneRow over f16 K, converted in registers. */
function scoresOneRowHalf(r: i32, Mp: i32, kBase: usize, kStride: usize, nk: i32): void {
  const mask = i32x4.splat(HALF_MASK);
  const d4 = d & ~3;
  const tail = d - d4;
  const mpBytes = (Mp as usize) << 2;
  const rowGroup = sQt + ((r >> 2) as usize) * ((((d + 3) & ~3) as usize) << 4);
  const lane = ((r & 3) as usize) << 2;
  const qBase = rowGroup + (lane << 2);
  const qEnd = rowGroup + ((d4 as usize) << 4);
  const qEnd2 = rowGroup + (((d4 as usize) << 4) & ~(127 as usize));
  const qTail = qEnd + lane;
  const up = i32x4.splat(HALF_SCALE);
  let f = i32x4.splat(0);
  let sp = sS + ((r as usize) << 2);
  const rowBytes = (d as usize) << 1;
  let touched = i32x4.splat(0);
  let jj = 0;
  for (; jj + 4 <= nk; jj += 4) {
    let k0 = kBase + (jj as usize) * kStride;
    if (jj + 8 <= nk) touched = touchAhead(touched, k0 + 4 * kStride, kStride, 4, rowBytes);
    let k1 = k0 + kStride, k2 = k1 + kStride, k3 = k2 + kStride;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let qp = qBase;
    while (qEnd2 > qp) {
      const qv = v128.load(qp), qw = v128.load(qp, 64);
      const x0 = half4(k0, mask), x1 = half4(k1, mask), x2 = half4(k2, mask), x3 = half4(k3, mask);
      a0 = madd(qv, x0, a0);
      a1 = madd(qv, x1, a1);
      a2 = madd(qv, x2, a2);
      a3 = madd(qv, x3, a3);
      const y0 = half4(k0 + 8, mask), y1 = half4(k1 + 8, mask), y2 = half4(k2 + 8, mask), y3 = half4(k3 + 8, mask);
      a0 = madd(qw, y0, a0);
      a1 = madd(qw, y1, a1);
      a2 = madd(qw, y2, a2);
      a3 = madd(qw, y3, a3);
      f = flag4(flag4(flag4(flag4(f, x0), x1), x2), x3);
      f = flag4(flag4(flag4(flag4(f, y0), y1), y2), y3);
      k0 += 16;
      k1 += 16;
      k2 += 16;
      k3 += 16;
      qp += 128;
    }
    if (qEnd > qp) {
      const qv = v128.load(qp);
      const x0 = half4(k0, mask), x1 = half4(k1, mask), x2 = half4(k2, mask), x3 = half4(k3, mask);
      f = flag4(flag4(flag4(flag4(f, x0), x1), x2), x3);
      a0 = madd(qv, x0, a0);
      a1 = madd(qv, x1, a1);
      a2 = madd(qv, x2, a2);
      a3 = madd(qv, x3, a3);
      k0 += 8;
      k1 += 8;
      k2 += 8;
      k3 += 8;
    }
    let s4 = sum4x4(a0, a1, a2, a3);
    for (let i = 0; i < tail; i++) {
      const io = (i as usize) << 1;
      let kv = f32x4.replace_lane(f32x4.splat(half1(k0 + io)), 1, half1(k1 + io));
      kv = f32x4.replace_lane(f32x4.replace_lane(kv, 2, half1(k2 + io)), 3, half1(k3 + io));
      s4 = madd(v128.load32_splat(qTail + (io << 3)), kv, s4);
    }
    s4 = f32x4.mul(s4, up);
    store<f32>(sp, f32x4.extract_lane(s4, 0));
    store<f32>(sp + mpBytes, f32x4.extract_lane(s4, 1));
    store<f32>(sp + 2 * mpBytes, f32x4.extract_lane(s4, 2));
    store<f32>(sp + 3 * mpBytes, f32x4.extract_lane(s4, 3));
    sp += 4 * mpBytes;
  }
  for (; jj < nk; jj++) {
    let k0 = kBase + (jj as usize) * kStride;
    let a0 = f32x4.splat(0);
    let qp = qBase;
    while (qEnd > qp) {
      const x0 = half4(k0, mask);
      f = flag4(f, x0);
      a0 = madd(v128.load(qp), x0, a0);
      k0 += 8;
      qp += 64;
    }
    let sc = f32x4.extract_lane(sum4x4(a0, a0, a0, a0), 0);
    for (let i = 0; i < tail; i++) {
      const io = (i as usize) << 1;
      sc += load<f32>(qTail + (io << 3)) * half1(k0 + io);
    }
    store<f32>(sp, sc * reinterpret<f32>(HALF_SCALE));
    sp += mpBytes;
  }
  v128.store(sFlag, touched, 16);
  noteHalf(f);
}

/** accumulatePair over f16 V: P·2^112 times the converted halves. */
function accumulatePairHalf(r: i32, t: i32, Mp: i32, vBase: usize, vStride: usize, lo: i32, hi: i32): void {
  const mask = i32x4.splat(HALF_MASK);
  const mpBytes = (Mp as usize) << 2;
  const rowBytes = (dv as usize) << 2;
  const up = i32x4.splat(HALF_SCALE);
  const al0 = v128.load32_splat(sAlpha + ((r as usize) << 2));
  const al1 = v128.load32_splat(sAlpha + ((r as usize) << 2), 4);
  const o0p = sO + (r as usize) * rowBytes + ((t as usize) << 2);
  const o1p = o0p + rowBytes;
  let a0 = f32x4.mul(v128.load(o0p), al0), a1 = f32x4.mul(v128.load(o0p, 16), al0);
  let a2 = f32x4.mul(v128.load(o0p, 32), al0), a3 = f32x4.mul(v128.load(o0p, 48), al0);
  let b0 = f32x4.mul(v128.load(o1p), al1), b1 = f32x4.mul(v128.load(o1p, 16), al1);
  let b2 = f32x4.mul(v128.load(o1p, 32), al1), b3 = f32x4.mul(v128.load(o1p, 48), al1);
  let vp = vBase + (lo as usize) * vStride + ((t as usize) << 1);
  let pp = sS + ((r as usize) << 2) + (lo as usize) * mpBytes;
  for (let jj = lo; jj < hi; jj++) {
    const p0 = f32x4.mul(v128.load32_splat(pp), up);
    const p1 = f32x4.mul(v128.load32_splat(pp, 4), up);
    const v0 = half4(vp, mask), v1 = half4(vp + 8, mask), v2 = half4(vp + 16, mask), v3 = half4(vp + 24, mask);
    a0 = madd(p0, v0, a0);
    a1 = madd(p0, v1, a1);
    a2 = madd(p0, v2, a2);
    a3 = madd(p0, v3, a3);
    b0 = madd(p1, v0, b0);
    b1 = madd(p1, v1, b1);
    b2 = madd(p1, v2, b2);
    b3 = madd(p1, v3, b3);
    vp += vStride;
    pp += mpBytes;
  }
  v128.store(o0p, a0); v128.store(o0p, a1, 16); v128.store(o0p, a2, 32); v128.store(o0p, a3, 48);
  v128.store(o1p, b0); v128.store(o1p, b1, 16); v128.store(o1p, b2, 32); v128.store(o1p, b3, 48);
}

/** accumulateTail over f16 V: P·2^112 times the converted halves (O offsets o, V offsets o / 2). */
function accumulateTailHalf(r0: i32, rows: i32, t0: i32, Mp: i32, vBase: usize, vStride: usize, lo: i32, hi: i32): void {
  const mask = i32x4.splat(HALF_MASK);
  const n = dv;
  const n4 = t0 + ((n - t0) & ~3);
  const mpBytes = (Mp as usize) << 2;
  const rowBytes = (n as usize) << 2;
  const t0Bytes = (t0 as usize) << 2;
  const n4Bytes = (n4 as usize) << 2;
  const up = i32x4.splat(HALF_SCALE);
  let f = i32x4.splat(0);
  let touched = i32x4.splat(0);
  for (let r = r0; r < r0 + rows; r++) {
    const al = load<f32>(sAlpha + ((r as usize) << 2));
    const op = sO + (r as usize) * rowBytes;
    const alV = f32x4.splat(al);
    for (let o = t0Bytes; o < n4Bytes; o += 16) v128.store(op + o, f32x4.mul(v128.load(op + o), alV));
    for (let t = n4; t < n; t++) store<f32>(op + ((t as usize) << 2), load<f32>(op + ((t as usize) << 2)) * al);
    let pp = sS + ((r as usize) << 2) + (lo as usize) * mpBytes;
    let vp = vBase + (lo as usize) * vStride;
    let jj = lo;
    for (; jj + 4 <= hi; jj += 4) {
      if (jj + 8 <= hi) touched = touchAhead(touched, vp + 4 * vStride, vStride, 4, (n as usize) << 1);
      const p0 = f32x4.mul(v128.load32_splat(pp), up), p1 = f32x4.mul(v128.load32_splat(pp + mpBytes), up);
      const p2 = f32x4.mul(v128.load32_splat(pp + 2 * mpBytes), up), p3 = f32x4.mul(v128.load32_splat(pp + 3 * mpBytes), up);
      const v1 = vp + vStride, v2 = v1 + vStride, v3 = v2 + vStride;
      let o = t0Bytes;
      for (; o + 16 < n4Bytes; o += 32) {
        const h = o >> 1;
        const x0 = half4(vp + h, mask), x1 = half4(v1 + h, mask), x2 = half4(v2 + h, mask), x3 = half4(v3 + h, mask);
        const y0 = half4(vp + h + 8, mask), y1 = half4(v1 + h + 8, mask), y2 = half4(v2 + h + 8, mask), y3 = half4(v3 + h + 8, mask);
        const s01 = f32x4.add(f32x4.mul(p0, x0), f32x4.mul(p1, x1));
        const s23 = f32x4.add(f32x4.mul(p2, x2), f32x4.mul(p3, x3));
        const t01 = f32x4.add(f32x4.mul(p0, y0), f32x4.mul(p1, y1));
        const t23 = f32x4.add(f32x4.mul(p2, y2), f32x4.mul(p3, y3));
        f = flag4(flag4(flag4(flag4(f, x0), x1), x2), x3);
        f = flag4(flag4(flag4(flag4(f, y0), y1), y2), y3);
        v128.store(op + o, f32x4.add(v128.load(op + o), f32x4.add(s01, s23)));
        v128.store(op + o, f32x4.add(v128.load(op + o, 16), f32x4.add(t01, t23)), 16);
      }
      if (o < n4Bytes) {
        const h = o >> 1;
        const x0 = half4(vp + h, mask), x1 = half4(v1 + h, mask), x2 = half4(v2 + h, mask), x3 = half4(v3 + h, mask);
        f = flag4(flag4(flag4(flag4(f, x0), x1), x2), x3);
        const s01 = f32x4.add(f32x4.mul(p0, x0), f32x4.mul(p1, x1));
        const s23 = f32x4.add(f32x4.mul(p2, x2), f32x4.mul(p3, x3));
        v128.store(op + o, f32x4.add(v128.load(op + o), f32x4.add(s01, s23)));
      }
      for (let t = n4; t < n; t++) {
        const to = (t as usize) << 2;
        const th = (t as usize) << 1;
        const s01 = f32x4.extract_lane(p0, 0) * half1(vp + th) + f32x4.extract_lane(p1, 0) * half1(v1 + th);
        const s23 = f32x4.extract_lane(p2, 0) * half1(v2 + th) + f32x4.extract_lane(p3, 0) * half1(v3 + th);
        store<f32>(op + to, load<f32>(op + to) + (s01 + s23));
      }
      pp += 4 * mpBytes;
      vp += 4 * vStride;
    }
    for (; jj < hi; jj++) {
      const p0 = f32x4.mul(v128.load32_splat(pp), up);
      for (let o = t0Bytes; o < n4Bytes; o += 16) {
        const x0 = half4(vp + (o >> 1), mask);
        f = flag4(f, x0);
        v128.store(op + o, madd(p0, x0, v128.load(op + o)));
      }
      for (let t = n4; t < n; t++) {
        const to = (t as usize) << 2;
        store<f32>(op + to, load<f32>(op + to) + f32x4.extract_lane(p0, 0) * half1(vp + ((t as usize) << 1)));
      }
      pp += mpBytes;
      vp += vStride;
    }
  }
  v128.store(sFlag, touched, 16);
  noteHalf(f);
}
