import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, suggest } from '../src/suggest.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['wasm', 'wasm', 0],
    ['wsam', 'wasm', 1], // one swap of neighbours
    ['cpuu', 'cpu', 1],
    ['webgpu', 'wbegpu', 1],
    ['rmsnorm', 'rmsnrom', 1],
    ['kitten', 'sitting', 3],
    ['', 'gqa', 3],
  ])('%s → %s is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('suggest', () => {
  const commands = ['demo', 'backends', 'run', 'verify', 'bench'];
  it('finds typos, swaps and unique prefixes', () => {
    expect(suggest('bnech', commands)).toBe('bench');
    expect(suggest('verfiy', commands)).toBe('verify');
    expect(suggest('backend', commands)).toBe('backends');
    expect(suggest('--kv', ['--kv-heads', '--heads', '--kv-length'])).toBe('--kv-heads');
    expect(suggest('LLAMA3', ['linear', 'llama3'])).toBe('llama3');
  });
  it('stays quiet when nothing is close: a different word is not a typo', () => {
    expect(suggest('frobnicate', commands)).toBeUndefined();
    expect(suggest('softmax', ['rmsnorm', 'rope', 'gqa'])).toBeUndefined();
    expect(suggest('mygpu', ['auto', 'cpu', 'wasm', 'webgpu'])).toBeUndefined();
    expect(didYouMean('xyz', ['auto', 'cpu'])).toBe('');
    expect(didYouMean('atuo', ['auto', 'cpu'])).toBe(" (did you mean 'auto'?)");
  });
});
