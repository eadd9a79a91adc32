/**
 * Driver of assembly/gqa.ts: chooses the tiling, lays out the per-thread scratch, writes
 * kvLength/queryOffset into wasm memory and splits the tiles across threads.
 *
 * Tiles hold ~32 rows (queries × heads of one KV group): enough rows to reuse each K/V
 * row 32 times from registers/L1, few enough that Q^T, the score block and the output
 * accumulators (~32 KiB at d = 64 with 128-key blocks) stay in L1/L2 (16, 32 and 64
 * rows measured within noise of each other). When there are fewer tiles than
 * threads (decode with few KV heads), a group's heads are split across tiles.
 * (16, 32, 48, 64 rows and 64, 128, 256-key blocks re-measured within noise after the
 * base-2 softmax and packing.)
 *
 * A prefill first packs each (batch, KV head)'s K/V rows contiguously (the `gqaPack`
 * kernel, into the scratch block) when each packed float is reused enough and the copy
 * stays under PACK_MAX_BYTES; decode reads K/V in place (each row is read once anyway).
 * A decode with more than one tile over a large cache runs block-major (key blocks outer,
 * tiles inner; BLOCK_MAJOR_* below), whatever the distance between one head's K rows.
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
 */
const BLOCK_MAJOR_MIN_BYTES = 16 << 20;
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
  // Few tiles (decode over few KV heads) on the pool: split each group's heads so every
  // thread has work (each chunk then reads the group's K/V again).
  const tiles = () => p.batch * p.headsKV * qTiles * Math.ceil(group / headChunk);
  while (headChunk > 4 && tiles() < 2 * rt.threads && rt.parallel(2 * rt.threads, workNs)) {
    headChunk = Math.ceil(headChunk / 2);
  }
  const headChunks = Math.ceil(group / headChunk);
  const mpMax = align(tileQ * headChunk, 4);
  const units = p.batch * p.headsKV * headChunks * qTiles;
  // K/V bytes the call reads (each batch's visible keys, every KV head).
  const kvBytes = keys * p.headsKV * (p.headDim + p.headDimV) * (kvHalf ? 2 : 4);
  // Decode (one query tile) over a large cache: key blocks outer, tiles inner
  // (see assembly/gqa.ts), with one scratch slot per tile a call takes: on the pool each
  // grab is ceil(units / threads) tiles.
  const blockMajor = qTiles === 1 && units > 1 && kvBytes >= BLOCK_MAJOR_MIN_BYTES;
  const perCall = blockMajor ? (rt.parallel(units, workNs) ? Math.ceil(units / rt.threads) : units) : 1;
  const rows = tileQ * headChunk;
  const tileK = blockMajor
    ? Math.min(TILE_K, Math.max(32, align(Math.floor(BLOCK_MAJOR_MACS / (rows * (p.headDim + p.headDimV))), 16)))
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
  const scratch = rt.scratch(stride * rt.threads + kPackBytes + vPackBytes + 8 * p.batch);
  const kPack = scratch + stride * rt.threads;
  const vPack = kPack + kPackBytes;
  const perBatch = vPack + vPackBytes;
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
    kvHalf,
    scratchFlag: scratchLayout.flag,
    scratchKBlock: scratchLayout.kBlock,
    scratchVBlock: scratchLayout.vBlock,
  });

  if (pack) rt.run('gqaPack', p.batch * p.headsKV, packFloats * 0.1, 1);

  // f16 K/V in place: each thread's Inf/NaN flag, cleared before the run, read after it.
  const flags = kvHalf && !pack ? Array.from({ length: rt.threads }, (_, t) => (scratch + t * stride + scratchLayout.flag) >>> 2) : [];
  for (const f of flags) rt.heap.i32[f] = 0;
  rt.run('gqa', units, workNs, perCall, rt.trace ? { blockMajor, packed: pack, tileRows: rows, headChunks, kvHalf } : undefined);
  return flags.every((f) => rt.heap.i32[f] === 0);
}
