/**
 * Cos/sin tables for RoPE. Angles are formed and evaluated in float64 (`Math.cos` on a
 * double angle) and rounded to float32 once, so positions up to 2^20 and beyond stay
 * exact to float32 rounding; a float32 angle at position 131072 would be off by ~0.01 rad.
 * Tables for contiguous positions are cached (LRU), so repeated prefill/decode calls of
 * one configuration reuse them and backends can cache their uploaded copy by `key`.
 *
 * Three LRUs use this key, and they hold different things: this one the host arrays (one per
 * process, shared by every backend); backend-wasm's `RopeTables` a copy in one runtime's wasm
 * heap (freed with `heap.free` on eviction); backend-webgpu's `RopeTableCache` a GPUBuffer of
 * one device (released to its pool after the pending submit). An uploaded copy lives in a
 * backend's memory and must be freed by that backend when it is evicted or disposed, so each
 * backend owns its cache; equal keys mean equal tables, so an eviction here never makes a
 * backend's copy stale.
 */
import type { RopeTable } from '../kernels.js';
import type { RopeFrequencies } from './scaling.js';

const CACHE_LIMIT = 64;
const cache = new Map<string, RopeTable>();

function fill(freq: RopeFrequencies, rows: number, positionOf: (row: number) => number): { cos: Float32Array; sin: Float32Array } {
  const pairs = freq.invFreq.length;
  const cos = new Float32Array(rows * pairs);
  const sin = new Float32Array(rows * pairs);
  const af = freq.attentionFactor;
  const inv = freq.invFreq;
  for (let r = 0; r < rows; r++) {
    const p = positionOf(r);
    const o = r * pairs;
    for (let i = 0; i < pairs; i++) {
      const angle = p * inv[i];
      cos[o + i] = af * Math.cos(angle);
      sin[o + i] = af * Math.sin(angle);
    }
  }
  return { cos, sin };
}

/**
 * The table for tokens `s = 0..seq-1` at positions `start + s` (the same for every batch).
 * Cached by configuration, start and length.
 */
export function ropeTableForRange(freq: RopeFrequencies, start: number, seq: number): RopeTable {
  const key = `${freq.key}|${freq.attentionFactor}@${start}+${seq}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const { cos, sin } = fill(freq, seq, (r) => start + r);
  const table: RopeTable = {
    cos,
    sin,
    rows: seq,
    pairs: freq.invFreq.length,
    perToken: false,
    key,
    invFreq: freq.invFreq,
    attentionFactor: freq.attentionFactor,
  };
  cache.set(key, table);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return table;
}

/** The table for explicit positions, one row per token (`b * seq + s`). Not cached. */
export function ropeTableForPositions(freq: RopeFrequencies, positions: Int32Array): RopeTable {
  const { cos, sin } = fill(freq, positions.length, (r) => positions[r]);
  return {
    cos,
    sin,
    rows: positions.length,
    pairs: freq.invFreq.length,
    perToken: true,
    key: null,
    invFreq: freq.invFreq,
    attentionFactor: freq.attentionFactor,
  };
}
