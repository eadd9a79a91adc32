/** Inputs of the playground: seeded, so a run is reproducible. */
import type { RopeScaling } from '@llama-ops/core';

/** Standard normal values (Box-Muller over mulberry32), times `scale`. */
export function randn(n: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
  return out;
}

/** The scaling of each RoPE variant the page offers. */
export function ropeScaling(type: string, rotaryDim: number): RopeScaling | undefined {
  const origMax = 8192;
  switch (type) {
    case 'linear':
      return { type: 'linear', factor: 4 };
    case 'dynamic':
      return { type: 'dynamic', factor: 4, maxPositionEmbeddings: origMax };
    case 'llama3':
      return { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: origMax };
    case 'yarn':
      return { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: origMax };
    case 'longrope': {
      const pairs = rotaryDim / 2;
      const ramp = (hi: number) => Array.from({ length: pairs }, (_, i) => 1 + ((hi - 1) * i) / Math.max(1, pairs - 1));
      return { type: 'longrope', shortFactor: ramp(1.5), longFactor: ramp(8), originalMaxPositionEmbeddings: origMax, maxPositionEmbeddings: 16 * origMax };
    }
    default:
      return undefined;
  }
}
