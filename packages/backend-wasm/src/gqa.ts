/**
 * Driver of assembly/gqa.ts: chooses the tiling, lays out the per-thread scratch, writes
 * kvLength/queryOffset into wasm memory and splits the tiles across threads.
 *
 * Tiles hold ~32 rows (queries × heads of one KV group): enough rows to reuse each K/V
 * row 32 times from registers/L1, few enough that Q^T, the score block and the output
 * accumulators (~32 KiB at d = 64 with 128-key blocks) stay in L1/L2 (16, 32 and 64
 * rows measured within noise of each other). When a decode's tiles cannot give every
 * thread two (few KV heads, 16 threads), each tile's visible keys are split into chunks
 * (keySplitsFor, SPLIT_MIN_KEYS) whose partials `gqaCombine` merges; where the keys are too
 * few to split, and for a prefill of few tiles, a group's heads are split across tiles
 * (each head chunk reads the group's K/V again). An MHA decode (group 1: one row per KV
 * head) spans up to 32 KV heads in one tile instead (kvSpan, SPAN_MIN_HEADS), which reads
 * whole K/V rows; its heads are split across tiles only where its keys are too few to split.
 * (16, 32, 48, 64 rows and 64, 128, 256-key blocks re-measured within noise after the
 * base-2 softmax and packing.)
 *
 * A prefill first packs each (batch, KV head)'s K/V rows contiguously (the `gqaPack`
 * kernel, into the scratch block) when each packed float is reused enough and the copy
 * stays under PACK_MAX_BYTES; decode reads K/V in place (each row is read once anyway).
 * A decode with more than one tile over a large cache runs block-major (key blocks outer,
 * tiles inner, each block first streamed into L2 in address order; BLOCK_MAJOR_* below),
 * whatever the distance between one head's K rows.
 *
 * f16 K/V (`kvHalf`, from backend.ts) are read as f16 by the kernels: the pack is f32
 * (gqaPack widens), in place the kernels convert in registers or per key block (see
 * assembly/gqa.ts), and the block-major threshold counts their real (2-byte) size. The
 * kernels flag Inf/NaN halves they converted in registers; gqa() then returns false and
 * the backend reruns the call on widened copies. Numbers above TILE_ROWS.
 */
import type { GqaKernelParams } from '@llama-ops/core';
import { writeGqaParams } from './params.js';
import type { Runtime } from './runtime.js';

/*
 * f16 K/V decode, read directly (now) against staged through widened copies (before),
 * bench/ab.mjs CPU=1 DTYPE=f16 medians of 11, 1 thread, shared 2-core EPYC (ms, before ->
 * now): over 8192 keys MHA 32/32/128 31.4 -> 15.6, 32/8/64 7.05 -> 4.63, 32/8/128 10.4 ->
 * 8.7, MQA 32/1/128 2.87 -> 2.91; over 32768 keys 118.6 -> 59.9, 28.0 -> 17.6, 41.0 ->
 * 34.2, 12.2 -> 11.8. Against f32 on the same build over 32768 keys: 0.88x, 0.79x, 1.16x,
 * 1.12x the f32 time (f32 rows unchanged by this: 0.97-1.03x of before).
 */
/** Target rows (queries × heads) per tile. */
const TILE_ROWS = 32;
/** Keys per block of the online softmax (64, 128 and 256 measured within noise; 128 kept). */
const TILE_K = 128;
/**
 * Fewest KV heads an MHA decode tile spans (kvSpan; one head: a one-row tile), also the
 * floor where heads are split across tiles for the pool. Spans of 2 and 3 heads against a
 * tile per head (bench/ab.mjs, 1 / 2 threads): 2/2/128 over 32768 keys 1.0x / 0.98x, over
 * 131072 0.97x / 0.99x, 3/3/128 over 16384 0.80x / 0.79x, 2/2/64 over 2048 0.88x / 0.90x.
 */
const SPAN_MIN_HEADS = 2;
/**
 * Multiply-adds per tile and key block in block-major order: blocks of about this much work
 * (32 keys for 4 rows at d = 128, 128 keys for one MHA row) keep the per-block overhead
 * small. Decode over 2048 keys, 1 thread, CPU-time medians of 3 alternating runs against
 * tile-major order: 32/8/128 1.22-1.36 -> 0.91-1.01 ms with 32-key blocks (1.17-1.24 with
 * 64 or 128); MHA 32/32/128 4.2-5.0 -> 3.94 ms with 128-key blocks (4.1-4.3 with 32);
 * 32/8/128 over 8192 keys 7.96-8.23 -> 5.32-5.58 ms. With 2 KiB rows (32/8/64) the order
 * made no difference with 128-key blocks and cost 5% with 32.
 */
const BLOCK_MAJOR_MACS = 32768;
/**
 * Block-major order runs when the K/V a decode reads reach this size, for every row stride.
 * It used to need K rows of one head a page (4 KiB) apart; below that (32/8/64: 2 KiB,
 * 32/4/64: 1 KiB) each tile's pass streamed the whole cache on its own, Hkv passes of
 * strided 256-byte reads, and the cost per key grew with the cache (issue 18). Dropping the
 * stride condition, bench/ab.mjs CPU=1 medians, 1 thread, shared 2-core host at load 9-14:
 * 32/8/64 over 8192 keys 0.775x, over 32768 0.70-0.72x; 32/4/64 over 8192 0.89x, over
 * 32768 0.85x; rows already block-major or under this size (2048 keys) unchanged (0.97-1.02).
 * Measured before: with 4 MiB (32/8/128 over 512
 * keys, in L2/L3) block-major order measured 4% slower, with 8 MiB even, from 16 MiB on
 * faster (9% at 16 MiB, 12% for 64 MiB of MHA, 27% for 32/8/128 over 8192 keys; 1 thread).
 * With each block streamed first (issue 18; assembly/gqa.ts), block-major order is 0.43x
 * tile-major (as read in place) at 16 MiB (32/8/64 over 4096 keys) and even at 8 MiB
 * (32/8/64 over 2048 keys 0.97-1.02, 32/8/128 over 1024 1.04-1.07), but still 4-19%
 * slower at 1-4 MiB (32/8/64 over 256 and 1024 keys, 32/8/128 over 256, MHA over 256),
 * with warm caches and with the caches evicted before each call alike (bench/ab.mjs
 * FLUSH=1): read one head at a time, a small cache is not a pass per head from DRAM (the
 * first tile's misses bring its neighbours' lines into L3), and the pass and the smaller
 * blocks are overhead there. So the constant stands, a size with a margin below the L3
 * (32 MiB here) where tile-major order's cost per key turns up: it is an L3 effect, and
 * wasm cannot ask the cache size; a machine whose L3 is under ~16 MiB gets tile-major order
 * where it is already slower (as before this change), one with more gets block-major
 * order where it measured no faster or up to 7% slower (bench/ab.mjs, 1 thread).
 */
const BLOCK_MAJOR_MIN_BYTES = 16 << 20;
/**
 * Key split (flash-decoding): fewest keys per chunk. A decode (one query tile) whose tiles
 * cannot give every thread two splits each tile's visible keys into ceil(2·threads / tiles)
 * chunks, fewer where a chunk would get under this many keys (then, with one chunk, the
 * group's heads are split as before). A chunk of 256 keys × 32 rows is ~2M multiply-adds
 * (~0.1 ms) against a few µs of partial and combine. bench/ab.mjs, 2 threads, wall-time
 * medians, 3-5 runs on a shared 2-core host, main (4 head chunks of 8 heads, each reading
 * all K/V) -> 4 key chunks: MQA 32/1/128 over 2048 keys 0.93-0.94x, 8192 0.84-0.95x, 32768
 * 0.81-0.92x; 32/1/64 over 640 keys (2 chunks) 0.94-0.98x (one run 1.19, at 0.11 ms).
 * Splitting 8 tiles (32/8/64, 2 tiles per thread already) into 2 chunks each measured
 * 1.07-1.09x slower over 8192 keys (0.96-1.07x over 32768), hence the 2-per-thread bound,
 * before each key block was streamed (BLOCK_MAJOR_BLOCK_BYTES). Streamed, a thread that
 * takes every head of its own keys reads whole K/V rows in address order, where with a
 * share of the heads each of its rows is a piece of every line run: block-major decodes of
 * 2+ row tiles split keys into at least `threads` chunks whatever their tiles. 2 threads,
 * bench/ab.mjs, against the heads split between threads: 32/8/64 over 8192 keys 0.90x,
 * over 32768 0.79x, 32/8/128 over 32768 0.73x. Not one-row tiles (f16 MHA: not streamed on
 * the pool, 1.14x slower split); an f32 MHA decode is one span tile (kvSpan) and splits as
 * MQA's one tile does.
 */
const SPLIT_MIN_KEYS = 256;
/**
 * Most K/V bytes of one key block in block-major order, over the heads of one call (one
 * thread's tiles), where the block is streamed into L2 before the tiles read it: the block
 * being read and the one streamed for the next stay in a 1 MiB L2 (and in half of one
 * of 2 MiB, or in L3). Only caps MHA-like calls (32/32/128 on 1 thread: 16 keys instead
 * of 128); 32/8/64 and 32/8/128 blocks are 256 KiB. MHA 32/32/128, 1 thread, bench/ab.mjs
 * CPU=1 against main: 512 KiB 0.81-0.93x over 2048 keys and 0.86-0.89x over 32768;
 * 1 MiB 0.76-0.79x and 0.91-0.94x; 2 MiB 0.92x and 1.01-1.21x; 4 MiB (no cap) 1.25x
 * over 32768 streaming the next block, 0.9x streaming the block itself.
 */
const BLOCK_MAJOR_BLOCK_BYTES = 512 << 10;
/** Single-thread cost per multiply-add of Q·K and P·V (measured ~0.05 ns), for the threading decision. */
const NS_PER_MAC = 0.06;
/**
 * Pack K/V into contiguous rows (gqaPack) when every packed float is reused by at least this
 * many multiply-adds: the copy costs about one load and one store per 4 floats.
 */
const PACK_MIN_REUSE = 16;
/** Largest packed copy (bytes); beyond it the kernel reads K/V in place (~6% slower). */
const PACK_MAX_BYTES = 64 << 20;

/**
 * Softcaps below this (2^-100) are applied as this: f32 cannot hold the reciprocal of a cap
 * under ~3e-39, nor the cap itself under 1.4e-45 (1e-46 would round to 0, "no softcap").
 * Capped scores then lie within ±cap of each other either way, which moves no softmax
 * weight by more than 2^-99 relative: the same f32 result as the exact cap.
 */
const MIN_SOFTCAP = 2 ** -100;

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Byte offsets of one thread's GQA scratch, which assembly/gqa.ts reads from the parameter block. */
export interface GqaScratchLayout {
  /** Softmax rescale factors alpha [mpMax], from the thread's start (the scores S [tileK][mpMax] are at 0). */
  alpha: number;
  /** The first per-tile slot, from the thread's start (Qt/Qc at the slot's start). */
  slots: number;
  /** Bytes of one slot. */
  slotBytes: number;
  /** Output accumulators O [mpMax][headDimV], from the slot's start. */
  o: number;
  /** Running maxima m [mpMax], from the slot's start. */
  m: number;
  /** Softmax denominators l [mpMax], from the slot's start. */
  l: number;
  /** Query position of each row [mpMax] (i32), from the slot's start. */
  pos: number;
  /** Bytes of one thread's scratch, a multiple of 64 (a cache line). */
  stride: number;
  /** f16 K/V read in place: the widened key block [tileK][headDim], from the thread's start (0: none). */
  kBlock: number;
  /** f16 K/V read in place: the widened value block [tileK][headDimV], from the thread's start (0: none). */
  vBlock: number;
  /** f16 K/V read in place: the i32 set when a kernel met an Inf/NaN half, from the thread's start (0: none). */
  flag: number;
}

/**
 * The one place the GQA scratch is laid out. Per thread: the scores S of one key block
 * and alpha, shared by the tiles; then `slots` slots, one per tile in flight (block-major
 * order keeps several), each with Q (Qt [headDim padded to 4][mpMax], or Qc with the dims
 * in the lanes, the same size), O, m, l and the rows' positions.
 * f16 K/V read in place add, after the slots, the Inf/NaN flag (32 bytes) and the f32 blocks
 * each key block is widened into (tiles of 16 rows or more).
 * @param mpMax - rows of the largest tile, padded to a multiple of 4.
 * @param kvBlocks - whether to lay out the widened K/V blocks (f16 K/V read in place).
 */
export function gqaScratchLayout(mpMax: number, headDim: number, headDimV: number, tileK: number, slots: number, kvBlocks = false): GqaScratchLayout {
  const rowBytes = mpMax * 4; // one f32 or i32 per row
  const alpha = tileK * rowBytes;
  const first = alpha + rowBytes;
  const o = align(headDim, 4) * rowBytes;
  const m = o + headDimV * rowBytes;
  const l = m + rowBytes;
  const pos = l + rowBytes;
  const slotBytes = pos + rowBytes;
  const end = first + slots * slotBytes;
  if (!kvBlocks) return { alpha, slots: first, slotBytes, o, m, l, pos, stride: align(end, 64), kBlock: 0, vBlock: 0, flag: 0 };
  const flag = end;
  const kBlock = align(flag + 32, 64);
  const vBlock = kBlock + tileK * headDim * 4;
  return { alpha, slots: first, slotBytes, o, m, l, pos, stride: align(vBlock + tileK * headDimV * 4, 64), kBlock, vBlock, flag };
}

/** Byte offsets of one key chunk's partial (key split), which gqaCombine merges: O [mpMax][headDimV] at 0. */
export interface GqaPartialLayout {
  /** Running maxima m [mpMax], from the partial's start. */
  m: number;
  /** Softmax denominators l [mpMax] (times 2^-SOFTMAX_SHIFT, as the kernel keeps them), from the partial's start. */
  l: number;
  /** Bytes of one partial, a multiple of 64. */
  bytes: number;
}

/** The one place a key-split partial is laid out (partials of unit u at u·bytes, after the per-batch arrays). */
export function gqaPartialLayout(mpMax: number, headDimV: number): GqaPartialLayout {
  const rowBytes = mpMax * 4;
  const m = headDimV * rowBytes;
  const l = m + rowBytes;
  return { m, l, bytes: align(l + rowBytes, 64) };
}

/**
 * Key chunks per tile for a decode of `tiles` tiles (one query tile) over `keys` visible
 * keys per batch entry on average: 1 where the tiles already give every thread two, or the
 * chunks would be under SPLIT_MIN_KEYS, or the call stays on one thread.
 */
function keySplitsFor(rt: Runtime, tiles: number, keys: number, workNs: number, streamed: boolean): number {
  if (tiles >= 2 * rt.threads && !streamed) return 1;
  const want = Math.ceil((2 * rt.threads) / tiles);
  const splits = Math.min(streamed ? Math.max(rt.threads, want) : want, Math.floor(keys / SPLIT_MIN_KEYS));
  return splits >= 2 && rt.parallel(tiles * splits, workNs) ? splits : 1;
}

/**
 * @param kvHalf - K and V are f16 (at p.k, p.v, with their f16 layouts), the rest f32: the
 * kernels read them as f16 (gqaPack widens them into the pack; in place, tiles under 16
 * rows convert in registers, larger ones widen each key block).
 * @returns false when K/V read in registers held an Inf/NaN half (the output is then not
 * written as it should be: the caller reruns the call on widened f32 copies), else true.
 */
export function gqa(rt: Runtime, p: GqaKernelParams<number>, kvHalf = false): boolean {
  const group = p.headsQ / p.headsKV;
  // Work estimate: every query row against (at most) its batch's valid keys.
  let keys = 0;
  for (let b = 0; b < p.batch; b++) keys += p.window > 0 ? Math.min(p.kvLength[b], p.window) : p.kvLength[b];
  const workNs = keys * p.seqQ * p.headsQ * (p.headDim + p.headDimV) * (p.causal && p.seqQ > 1 ? 0.5 : 1) * NS_PER_MAC;

  let headChunk = Math.min(group, TILE_ROWS);
  const tileQ = Math.max(1, Math.min(p.seqQ, Math.floor(TILE_ROWS / headChunk)));
  const qTiles = Math.ceil(p.seqQ / tileQ);
  // MHA decode (group 1, one query, f32 K/V in place): a tile spans up to TILE_ROWS KV
  // heads, one row each, and reads its keys' K/V rows front to back (assembly/gqa.ts
  // scoresSpan), where a tile per head reads a slice of every row (SPAN_MIN_HEADS).
  const spanning = p.seqQ === 1 && group === 1 && !kvHalf && p.headsKV >= SPAN_MIN_HEADS;
  let kvSpan = spanning ? Math.ceil(p.headsKV / Math.ceil(p.headsKV / TILE_ROWS)) : 1;
  const spans = () => Math.ceil(p.headsKV / kvSpan);
  // Few tiles (decode over few KV heads) on the pool: split each group's heads so every
  // thread has work (each chunk then reads the group's K/V again).
  const tiles = () => p.batch * spans() * qTiles * Math.ceil(group / headChunk);
  // A decode splits keys instead where each chunk has enough (each head chunk would read the
  // K/V again; a key chunk reads its part once).
  // A block-major decode whose tiles have 2+ rows (streamed: assembly/gqa.ts touchBlock)
  // splits keys across the threads even with tiles enough, so each thread streams whole K/V
  // rows of its own keys (SPLIT_MIN_KEYS).
  // K/V bytes the call reads (each batch's visible keys, every KV head).
  const kvBytes = keys * p.headsKV * (p.headDim + p.headDimV) * (kvHalf ? 2 : 4);
  const streamed = qTiles === 1 && group > 1 && kvBytes >= BLOCK_MAJOR_MIN_BYTES;
  const keySplits = qTiles === 1 ? keySplitsFor(rt, tiles(), keys / p.batch, workNs, streamed) : 1;
  while (keySplits === 1 && headChunk > 4 && tiles() < 2 * rt.threads && rt.parallel(2 * rt.threads, workNs)) {
    headChunk = Math.ceil(headChunk / 2);
  }
  // Likewise a span: fewer heads per tile where too few keys to split.
  while (keySplits === 1 && kvSpan > SPAN_MIN_HEADS && tiles() < 2 * rt.threads && rt.parallel(2 * rt.threads, workNs)) {
    kvSpan = Math.ceil(kvSpan / 2);
  }
  const headChunks = Math.ceil(group / headChunk);
  const rows = spanning ? kvSpan : tileQ * headChunk;
  const mpMax = align(rows, 4);
  const units = p.batch * spans() * headChunks * qTiles * keySplits;
  // Decode (one query tile) over a large cache: key blocks outer, tiles inner
  // (see assembly/gqa.ts), with one scratch slot per tile a call takes: on the pool each
  // grab is ceil(units / threads) tiles. A span tile alone too: its blocks are streamed.
  const blockMajor = qTiles === 1 && (units > 1 || spanning) && kvBytes >= BLOCK_MAJOR_MIN_BYTES;
  let perCall = blockMajor ? (rt.parallel(units, workNs) ? Math.ceil(units / rt.threads) : units) : 1;
  // Key split on the pool: a grab takes tiles of one key chunk at most (the chunks of one
  // tile side by side would be separate streams, and smaller grabs balance a loaded host).
  if (blockMajor && keySplits > 1 && rt.parallel(units, workNs)) perCall = Math.min(perCall, units / keySplits);
  // Block-major calls stream each key block through L2 first (assembly/gqa.ts), except
  // one-row tiles on the pool: then a block holds at most BLOCK_MAJOR_BLOCK_BYTES of the
  // call's K/V rows (its heads: ceil(perCall / headChunks)).
  // Nor for f16 one-row tiles: their kernels load 4 rows ahead themselves (assembly/gqa.ts),
  // and the pass on top measured MHA 32/32/128 f16 over 32768 keys 1.14x slower (bench/ab.mjs
  // CPU=1, 1 thread: 76.2 -> 66.8 ms without it); f16 tiles of 2+ rows keep it (without:
  // 32/8/64 1.14x, 32/8/128 1.09x slower over 32768 keys).
  const stream = rows > 1 || (perCall === units && !kvHalf);
  const streamKeys = Math.floor(BLOCK_MAJOR_BLOCK_BYTES / (Math.ceil(perCall / headChunks) * kvSpan * (p.headDim + p.headDimV) * (kvHalf ? 2 : 4)) / 16) * 16;
  const tileK = blockMajor
    ? Math.min(TILE_K, Math.max(32, align(Math.floor(BLOCK_MAJOR_MACS / (rows * (p.headDim + p.headDimV))), 16)), stream ? Math.max(16, streamKeys) : TILE_K)
    : TILE_K;
  // Packed K/V rows per (batch, KV head): keys up to the last one a query may see.
  let packRows = 0;
  for (let b = 0; b < p.batch; b++) {
    const hi = p.causal ? Math.min(p.kvLength[b], p.queryOffset[b] + p.seqQ) : p.kvLength[b];
    packRows = Math.max(packRows, hi);
  }
  const packFloats = p.batch * p.headsKV * packRows * (p.headDim + p.headDimV);
  const pack = p.seqQ > 1 && packFloats > 0 && packFloats * PACK_MIN_REUSE * NS_PER_MAC <= workNs && packFloats * 4 <= PACK_MAX_BYTES;
  const scratchLayout = gqaScratchLayout(mpMax, p.headDim, p.headDimV, tileK, perCall, kvHalf && !pack);
  const stride = scratchLayout.stride;
  const kPackBytes = pack ? align(p.batch * p.headsKV * packRows * p.headDim * 4, 64) : 0;
  const vPackBytes = pack ? align(p.batch * p.headsKV * packRows * p.headDimV * 4, 64) : 0;
  const partialLayout = gqaPartialLayout(mpMax, p.headDimV);
  const partialsBytes = keySplits > 1 ? units * partialLayout.bytes : 0;
  const scratch = rt.scratch(stride * rt.threads + kPackBytes + vPackBytes + align(8 * p.batch, 64) + partialsBytes);
  const kPack = scratch + stride * rt.threads;
  const vPack = kPack + kPackBytes;
  const perBatch = vPack + vPackBytes;
  const partials = perBatch + align(8 * p.batch, 64);
  rt.heap.i32.set(p.kvLength, perBatch >>> 2);
  rt.heap.i32.set(p.queryOffset, (perBatch >>> 2) + p.batch);

  // Operands may be views: the offset goes into the address, the token stride into the block.
  const at = p.layout;
  writeGqaParams(rt, {
    q: p.q + at.q.offset * 4,
    k: p.k + at.k.offset * (kvHalf ? 2 : 4),
    v: p.v + at.v.offset * (kvHalf ? 2 : 4),
    out: p.out + at.out.offset * 4,
    qRowStride: at.q.rowStride,
    kRowStride: at.k.rowStride,
    vRowStride: at.v.rowStride,
    outRowStride: at.out.rowStride,
    mask: p.mask === null ? 0 : p.mask + at.mask.offset * 4,
    maskBatch: p.maskBatch,
    maskHeads: p.maskHeads,
    sinks: p.sinks === null ? 0 : p.sinks + at.sinks.offset * 4,
    batch: p.batch,
    seqQ: p.seqQ,
    seqKV: p.seqKV,
    headsQ: p.headsQ,
    headsKV: p.headsKV,
    headDim: p.headDim,
    headDimV: p.headDimV,
    scale: p.scale,
    causal: p.causal,
    window: p.window,
    softcap: p.softcap > 0 ? Math.max(p.softcap, MIN_SOFTCAP) : 0,
    kvLength: perBatch,
    queryOffset: perBatch + 4 * p.batch,
    scratch,
    scratchStride: stride,
    tileQ,
    headChunk,
    qTiles,
    headChunks,
    kvSpan,
    tileK,
    kPack: pack ? kPack : 0,
    vPack: pack ? vPack : 0,
    packRows: pack ? packRows : 0,
    blockMajor,
    scratchAlpha: scratchLayout.alpha,
    scratchSlots: scratchLayout.slots,
    slotBytes: scratchLayout.slotBytes,
    slotO: scratchLayout.o,
    slotM: scratchLayout.m,
    slotL: scratchLayout.l,
    slotPos: scratchLayout.pos,
    keySplits,
    partials: keySplits > 1 ? partials : 0,
    partialBytes: partialLayout.bytes,
    partialM: partialLayout.m,
    partialL: partialLayout.l,
    kvHalf,
    scratchFlag: scratchLayout.flag,
    scratchKBlock: scratchLayout.kBlock,
    scratchVBlock: scratchLayout.vBlock,
  });

  if (pack) rt.run('gqaPack', p.batch * p.headsKV, packFloats * 0.1, 1);

  // f16 K/V in place: each thread's Inf/NaN flag, cleared before the run, read after it.
  const flags = kvHalf && !pack ? Array.from({ length: rt.threads }, (_, t) => (scratch + t * stride + scratchLayout.flag) >>> 2) : [];
  for (const f of flags) rt.heap.i32[f] = 0;
  rt.run('gqa', units, workNs, perCall, rt.trace ? { blockMajor, packed: pack, tileRows: rows, headChunks, kvSpan, keySplits, kvHalf } : undefined);
  // An Inf/NaN half: the caller reruns the call on widened copies (no combine then).
  if (!flags.every((f) => rt.heap.i32[f] === 0)) return false;
  // Key split: merge each row's partials (units: the tiles) and write the output.
  if (keySplits > 1) {
    const tileCount = units / keySplits;
    rt.run('gqaCombine', tileCount, units * rows * p.headDimV * NS_PER_MAC, undefined, rt.trace ? { keySplits } : undefined);
  }
  return true;
}
