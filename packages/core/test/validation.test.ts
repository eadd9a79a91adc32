/**
 * One test per validation rule: each bad input throws the documented typed error, names the
 * argument, and no kernel runs.
 */
import { describe, expect, it } from 'vitest';
import {
  BackendMismatchError,
  CapacityError,
  DTypeError,
  DisposedError,
  LlamaOpsError,
  ShapeError,
  UnsupportedError,
  ValueError,
  addRmsnorm,
  createKVCache,
  gqa,
  rmsnorm,
  rope,
  type Tensor,
} from '../src/index.js';
import { createFakeBackend } from './fake-backend.js';

const zeros = (n: number) => new Float32Array(n);

function expectError(fn: () => unknown, type: new (...args: never[]) => LlamaOpsError, code: string, argument: string | RegExp) {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a throw').toBeInstanceOf(type);
  const err = caught as LlamaOpsError;
  expect(err).toBeInstanceOf(LlamaOpsError);
  expect(err.code).toBe(code);
  if (typeof argument === 'string') expect(err.argument).toBe(argument);
  else expect(err.argument).toMatch(argument);
  expect(err.message).toContain(err.argument ?? '');
  return err;
}

function setup() {
  const fake = createFakeBackend();
  const be = fake.backend;
  const t = (shape: number[]) => be.tensor(zeros(shape.reduce((a, b) => a * b, 1)), shape);
  return { fake, be, t };
}

describe('backend.tensor / backend.empty', () => {
  it('rejects data whose length is not the product of the shape', () => {
    const { be } = setup();
    const err = expectError(() => be.tensor(zeros(5), [2, 3]), ValueError, 'E_VALUE', 'data.length');
    expect(err.expected).toContain('6');
    expect(err.actual).toBe('5');
  });
  it('rejects non-integer, zero or negative dimensions', () => {
    const { be } = setup();
    expectError(() => be.tensor(zeros(0), [2, 0]), ShapeError, 'E_SHAPE', 'shape');
    expectError(() => be.empty([2.5]), ShapeError, 'E_SHAPE', 'shape');
    expectError(() => be.empty([-1, 2]), ShapeError, 'E_SHAPE', 'shape');
  });
  it('rejects a dtype the backend does not declare', () => {
    const { be } = setup();
    expectError(() => be.empty([4], { dtype: 'f16' }), UnsupportedError, 'E_UNSUPPORTED', 'options.dtype');
    expectError(() => be.empty([4], { dtype: 'f64' as never }), ValueError, 'E_VALUE', 'options.dtype');
  });
  it('rejects use of a disposed backend', () => {
    const { be } = setup();
    be.dispose();
    expectError(() => be.empty([4]), DisposedError, 'E_DISPOSED', 'backend');
  });
  it('copies data in: later changes to the source array do not reach the tensor', async () => {
    const { be } = setup();
    const src = new Float32Array([1, 2, 3]);
    const x = be.tensor(src, [3]);
    src[0] = 99;
    expect(Array.from(await x.read())).toEqual([1, 2, 3]);
  });
});

describe('rmsnorm validation', () => {
  it('rejects a weight whose length is not the last dim of x', () => {
    const { fake, t } = setup();
    const err = expectError(() => rmsnorm(t([2, 8]), t([7])), ShapeError, 'E_SHAPE', 'weight');
    expect(err.expected).toContain('[8]');
    expect(err.actual).toBe('[7]');
    expect(fake.calls).toEqual([]);
  });
  it('rejects a weight of rank 2', () => {
    const { t } = setup();
    expectError(() => rmsnorm(t([2, 8]), t([1, 8])), ShapeError, 'E_SHAPE', 'weight');
  });
  it('rejects a residual of another shape', () => {
    const { fake, t } = setup();
    expectError(() => addRmsnorm(t([2, 8]), t([1, 8]), t([8])), ShapeError, 'E_SHAPE', 'residual');
    expectError(() => rmsnorm(t([2, 8]), t([8]), { residual: t([2, 4]) }), ShapeError, 'E_SHAPE', 'residual');
    expect(fake.calls).toEqual([]);
  });
  it('rejects negative or non-finite eps and non-finite weightOffset', () => {
    const { t } = setup();
    expectError(() => rmsnorm(t([2, 8]), t([8]), { eps: -1 }), ValueError, 'E_VALUE', 'options.eps');
    expectError(() => rmsnorm(t([2, 8]), t([8]), { eps: NaN }), ValueError, 'E_VALUE', 'options.eps');
    expectError(() => rmsnorm(t([2, 8]), t([8]), { weightOffset: Infinity }), ValueError, 'E_VALUE', 'options.weightOffset');
  });
  it('rejects a non-tensor and a disposed tensor', () => {
    const { t } = setup();
    expectError(() => rmsnorm({} as Tensor, t([8])), ValueError, 'E_VALUE', 'x');
    const x = t([2, 8]);
    x.dispose();
    expectError(() => rmsnorm(x, t([8])), DisposedError, 'E_DISPOSED', 'x');
  });
  it('rejects tensors from two backends', () => {
    const a = setup();
    const b = setup();
    expectError(() => rmsnorm(a.t([2, 8]), b.t([8])), BackendMismatchError, 'E_BACKEND_MISMATCH', 'weight');
    expect(a.fake.calls).toEqual([]);
    expect(b.fake.calls).toEqual([]);
  });
  it('rejects mixed dtypes', () => {
    const fake = createFakeBackend('fake16', ['f32', 'f16']);
    const x = fake.backend.empty([2, 8]);
    const w = fake.backend.empty([8], { dtype: 'f16' });
    expectError(() => rmsnorm(x, w), DTypeError, 'E_DTYPE', 'weight');
  });
  it('calls the kernel once with resolved defaults when valid', () => {
    const { fake, t } = setup();
    const y = rmsnorm(t([3, 8]), t([8]));
    expect(y.shape).toEqual([3, 8]);
    expect(fake.calls).toEqual(['rmsnorm']);
  });
});

describe('rope validation', () => {
  it('rejects x of rank other than 4', () => {
    const { t } = setup();
    expectError(() => rope(t([2, 4, 8])), ShapeError, 'E_SHAPE', 'x');
  });
  it('rejects an odd rotaryDim and one larger than headDim', () => {
    const { fake, t } = setup();
    expectError(() => rope(t([1, 2, 1, 8]), { rotaryDim: 5 }), ValueError, 'E_VALUE', 'options.rotaryDim');
    expectError(() => rope(t([1, 2, 1, 8]), { rotaryDim: 10 }), ValueError, 'E_VALUE', 'options.rotaryDim');
    expectError(() => rope(t([1, 2, 1, 8]), { rotaryDim: 0 }), ValueError, 'E_VALUE', 'options.rotaryDim');
    expect(fake.calls).toEqual([]);
  });
  it('rejects an odd headDim without a smaller even rotaryDim, and accepts one with it', () => {
    const { fake, t } = setup();
    expectError(() => rope(t([1, 2, 1, 7])), ShapeError, 'E_SHAPE', 'x');
    rope(t([1, 2, 1, 7]), { rotaryDim: 6 });
    expect(fake.calls).toEqual(['rope']);
  });
  it('rejects negative and non-integer start positions', () => {
    const { t } = setup();
    expectError(() => rope(t([1, 2, 1, 8]), { positions: -1 }), ValueError, 'E_VALUE', 'options.positions');
    expectError(() => rope(t([1, 2, 1, 8]), { positions: 1.5 }), ValueError, 'E_VALUE', 'options.positions');
  });
  it('rejects explicit positions of the wrong length or with a negative entry', () => {
    const { fake, t } = setup();
    expectError(() => rope(t([2, 3, 1, 8]), { positions: new Int32Array(5) }), ShapeError, 'E_SHAPE', 'options.positions');
    expectError(() => rope(t([1, 3, 1, 8]), { positions: Int32Array.from([0, -4, 2]) }), ValueError, 'E_VALUE', 'options.positions[1]');
    expectError(() => rope(t([1, 3, 1, 8]), { positions: [0, 1, 2] as never }), ValueError, 'E_VALUE', 'options.positions');
    expect(fake.calls).toEqual([]);
  });
  it('rejects a theta <= 1', () => {
    const { t } = setup();
    expectError(() => rope(t([1, 2, 1, 8]), { theta: 1 }), ValueError, 'E_VALUE', 'options.theta');
  });
  it('rejects unknown scaling types and bad scaling parameters, naming the field', () => {
    const { t } = setup();
    const x = t([1, 2, 1, 8]);
    expectError(() => rope(x, { scaling: { type: 'ntk' } as never }), ValueError, 'E_VALUE', 'options.scaling.type');
    expectError(() => rope(x, { scaling: { type: 'linear', factor: 0 } }), ValueError, 'E_VALUE', 'options.scaling.factor');
    expectError(
      () => rope(x, { scaling: { type: 'dynamic', factor: 2, maxPositionEmbeddings: 1.5 } }),
      ValueError,
      'E_VALUE',
      'options.scaling.maxPositionEmbeddings',
    );
    expectError(
      () => rope(x, { scaling: { type: 'llama3', factor: 8, lowFreqFactor: 4, highFreqFactor: 1, originalMaxPositionEmbeddings: 8192 } }),
      ValueError,
      'E_VALUE',
      'options.scaling.highFreqFactor',
    );
    expectError(
      () => rope(x, { scaling: { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 4096, truncate: 'yes' as never } }),
      ValueError,
      'E_VALUE',
      'options.scaling.truncate',
    );
    expectError(
      () =>
        rope(x, {
          scaling: { type: 'longrope', shortFactor: [1, 1, 1], longFactor: [1, 1, 1, 1], originalMaxPositionEmbeddings: 4, maxPositionEmbeddings: 8 },
        }),
      ValueError,
      'E_VALUE',
      'options.scaling.shortFactor',
    );
  });
  it('rejects non-boolean interleaved/inPlace', () => {
    const { t } = setup();
    expectError(() => rope(t([1, 2, 1, 8]), { interleaved: 1 as never }), ValueError, 'E_VALUE', 'options.interleaved');
    expectError(() => rope(t([1, 2, 1, 8]), { inPlace: 'no' as never }), ValueError, 'E_VALUE', 'options.inPlace');
  });
  it('returns x itself with inPlace and a new tensor otherwise', () => {
    const { t } = setup();
    const x = t([1, 2, 1, 8]);
    expect(rope(x, { inPlace: true })).toBe(x);
    expect(rope(x)).not.toBe(x);
  });
});

describe('gqa validation', () => {
  const shapes = { q: [1, 2, 8, 4], k: [1, 5, 2, 4], v: [1, 5, 2, 4] };
  it('rejects Hq not divisible by Hkv', () => {
    const { fake, t } = setup();
    const err = expectError(() => gqa(t([1, 2, 6, 4]), t([1, 5, 4, 4]), t([1, 5, 4, 4])), ShapeError, 'E_SHAPE', 'k');
    expect(err.message).toContain('Hq % Hkv');
    expect(fake.calls).toEqual([]);
  });
  it('rejects k with another batch or head dim, and v not matching k', () => {
    const { t } = setup();
    expectError(() => gqa(t(shapes.q), t([2, 5, 2, 4]), t(shapes.v)), ShapeError, 'E_SHAPE', 'k');
    expectError(() => gqa(t(shapes.q), t([1, 5, 2, 3]), t(shapes.v)), ShapeError, 'E_SHAPE', 'k');
    expectError(() => gqa(t(shapes.q), t(shapes.k), t([1, 4, 2, 4])), ShapeError, 'E_SHAPE', 'v');
    expectError(() => gqa(t([1, 2, 8]), t(shapes.k), t(shapes.v)), ShapeError, 'E_SHAPE', 'q');
  });
  it('accepts a value head dim different from the key head dim', () => {
    const { t } = setup();
    expect(gqa(t(shapes.q), t(shapes.k), t([1, 5, 2, 6])).shape).toEqual([1, 2, 8, 6]);
  });
  it('rejects kvLength above seqKV (the cache capacity), negative, or per-batch of the wrong length', () => {
    const { fake, t } = setup();
    const [q, k, v] = [t(shapes.q), t(shapes.k), t(shapes.v)];
    const err = expectError(() => gqa(q, k, v, { kvLength: 6 }), ValueError, 'E_VALUE', 'options.kvLength');
    expect(err.expected).toContain('<= 5');
    expectError(() => gqa(q, k, v, { kvLength: -1 }), ValueError, 'E_VALUE', 'options.kvLength');
    expectError(() => gqa(q, k, v, { kvLength: [1, 2] }), ValueError, 'E_VALUE', 'options.kvLength');
    expectError(() => gqa(q, k, v, { kvLength: Int32Array.from([9]) }), ValueError, 'E_VALUE', 'options.kvLength[0]');
    expect(fake.calls).toEqual([]);
  });
  it('rejects a non-integer queryOffset, window < 1, softcap <= 0, scale <= 0', () => {
    const { t } = setup();
    const [q, k, v] = [t(shapes.q), t(shapes.k), t(shapes.v)];
    expectError(() => gqa(q, k, v, { queryOffset: 0.5 }), ValueError, 'E_VALUE', 'options.queryOffset');
    expectError(() => gqa(q, k, v, { window: 0 }), ValueError, 'E_VALUE', 'options.window');
    expectError(() => gqa(q, k, v, { softcap: 0 }), ValueError, 'E_VALUE', 'options.softcap');
    expectError(() => gqa(q, k, v, { scale: -1 }), ValueError, 'E_VALUE', 'options.scale');
    expectError(() => gqa(q, k, v, { causal: 'yes' as never }), ValueError, 'E_VALUE', 'options.causal');
  });
  it('rejects a window without causal masking', () => {
    const { t } = setup();
    expectError(() => gqa(t(shapes.q), t(shapes.k), t(shapes.v), { causal: false, window: 2 }), ValueError, 'E_VALUE', 'options.window');
  });
  it('rejects masks that do not broadcast to [batch, Hq, seqQ, seqKV]', () => {
    const { fake, t } = setup();
    const [q, k, v] = [t(shapes.q), t(shapes.k), t(shapes.v)];
    expectError(() => gqa(q, k, v, { mask: t([1, 1, 2, 4]) }), ShapeError, 'E_SHAPE', 'options.mask');
    expectError(() => gqa(q, k, v, { mask: t([1, 2, 2, 5]) }), ShapeError, 'E_SHAPE', 'options.mask');
    expectError(() => gqa(q, k, v, { mask: t([2, 5]) }), ShapeError, 'E_SHAPE', 'options.mask');
    gqa(q, k, v, { mask: t([1, 1, 2, 5]) });
    gqa(q, k, v, { mask: t([1, 8, 2, 5]) });
    expect(fake.calls).toEqual(['gqa', 'gqa']);
  });
  it('rejects sinks not of shape [Hq]', () => {
    const { t } = setup();
    expectError(() => gqa(t(shapes.q), t(shapes.k), t(shapes.v), { sinks: t([2]) }), ShapeError, 'E_SHAPE', 'options.sinks');
  });
  it('rejects q, k, v or mask from two backends', () => {
    const a = setup();
    const b = setup();
    expectError(() => gqa(a.t(shapes.q), a.t(shapes.k), b.t(shapes.v)), BackendMismatchError, 'E_BACKEND_MISMATCH', 'v');
    expectError(
      () => gqa(a.t(shapes.q), a.t(shapes.k), a.t(shapes.v), { mask: b.t([1, 1, 2, 5]) }),
      BackendMismatchError,
      'E_BACKEND_MISMATCH',
      'options.mask',
    );
  });
  it('rejects a disposed k', () => {
    const { t } = setup();
    const k = t(shapes.k);
    k.dispose();
    expectError(() => gqa(t(shapes.q), k, t(shapes.v)), DisposedError, 'E_DISPOSED', 'k');
  });
  it('rejects a non-object options argument', () => {
    const { t } = setup();
    expectError(() => gqa(t(shapes.q), t(shapes.k), t(shapes.v), 5 as never), ValueError, 'E_VALUE', 'options');
  });
});

describe('kv cache validation', () => {
  it('rejects an append past capacity, and appends of the wrong shape', () => {
    const { fake, be, t } = setup();
    const cache = createKVCache(be, { batch: 1, capacity: 4, kvHeads: 2, headDim: 3 });
    cache.append(t([1, 3, 2, 3]), t([1, 3, 2, 3]));
    expect(cache.length).toBe(3);
    const err = expectError(() => cache.append(t([1, 2, 2, 3]), t([1, 2, 2, 3])), CapacityError, 'E_CAPACITY', 'k');
    expect(err.expected).toContain('at most 1');
    expect(cache.length).toBe(3);
    expectError(() => cache.append(t([1, 1, 3, 3]), t([1, 1, 2, 3])), ShapeError, 'E_SHAPE', 'k');
    expectError(() => cache.append(t([1, 1, 2, 3]), t([1, 1, 2, 4])), ShapeError, 'E_SHAPE', 'v');
    expect(fake.calls.filter((c) => c === 'copy')).toHaveLength(2);
  });
  it('rejects bad options', () => {
    const { be } = setup();
    expectError(() => createKVCache(be, { batch: 1, capacity: 0, kvHeads: 2, headDim: 3 }), ValueError, 'E_VALUE', 'options.capacity');
    expectError(() => createKVCache(be, { batch: 1, capacity: 4, kvHeads: 2.5, headDim: 3 }), ValueError, 'E_VALUE', 'options.kvHeads');
  });
  it('rejects use after dispose', () => {
    const { be, t } = setup();
    const cache = createKVCache(be, { batch: 1, capacity: 4, kvHeads: 1, headDim: 2 });
    cache.dispose();
    expectError(() => cache.append(t([1, 1, 1, 2]), t([1, 1, 1, 2])), DisposedError, 'E_DISPOSED', 'cache');
  });
});

describe('tensor lifecycle', () => {
  it('read() of a disposed tensor rejects with DisposedError; dispose is idempotent', async () => {
    const { fake, t } = setup();
    const x = t([4]);
    x.dispose();
    x.dispose();
    expect(fake.freed).toBe(1);
    await expect(x.read()).rejects.toBeInstanceOf(DisposedError);
  });
  it('tensors of a disposed backend are disposed', () => {
    const { be, t } = setup();
    const x = t([4]);
    be.dispose();
    expect(x.disposed).toBe(true);
  });
});

describe('options are checked, not guessed', () => {
  const misspelled: Array<[string, () => unknown, string, string]> = [];
  const { be, t } = setup();
  const x = t([1, 2, 2, 4]);
  const w = t([4]);
  misspelled.push(['rmsnorm epsilon', () => rmsnorm(t([2, 4]), w, { epsilon: 1e-5 } as never), 'options.epsilon', 'eps']);
  misspelled.push(['rope postions', () => rope(x, { postions: 3 } as never), 'options.postions', 'positions']);
  misspelled.push(['rope scalling', () => rope(x, { scalling: { type: 'linear', factor: 2 } } as never), 'options.scalling', 'scaling']);
  misspelled.push(['gqa casual', () => gqa(x, x, x, { casual: false } as never), 'options.casual', 'causal']);
  misspelled.push(['gqa kvLenght', () => gqa(x, x, x, { kvLenght: 1 } as never), 'options.kvLenght', 'kvLength']);
  misspelled.push(['tensor dtyp', () => be.tensor([1], [1], { dtyp: 'f16' } as never), 'options.dtyp', 'dtype']);
  misspelled.push(['empty dtyp', () => be.empty([1], { dtyp: 'f16' } as never), 'options.dtyp', 'dtype']);
  misspelled.push(['kv cache headDimv', () => createKVCache(be, { batch: 1, capacity: 2, kvHeads: 1, headDim: 2, headDimv: 4 } as never), 'options.headDimv', 'headDimV']);
  misspelled.push(['addRmsnorm outy', () => addRmsnorm(t([2, 4]), t([2, 4]), w, { outy: t([2, 4]) } as never), 'options.outy', 'outY']);
  for (const [name, fn, argument, near] of misspelled) {
    it(`${name}: a typed ValueError naming the key and the nearest known one`, () => {
      const err = expectError(fn, ValueError, 'E_VALUE', argument);
      expect(err.message).toContain(`did you mean '${near}'`);
    });
  }
  it('an unknown key far from every known one lists the known keys', () => {
    const err = expectError(() => rmsnorm(t([2, 4]), w, { zzzzzzzz: 1 } as never), ValueError, 'E_VALUE', 'options.zzzzzzzz');
    expect(err.message).toContain("'eps'");
  });
  it('a key set to undefined counts as absent', () => {
    expect(() => rmsnorm(t([2, 4]), w, { eps: undefined, epsilon: undefined } as never)).not.toThrow();
  });
});

describe('data and shapes', () => {
  it('rejects rank-0 shapes', () => {
    const { be } = setup();
    expectError(() => be.tensor([1], []), ShapeError, 'E_SHAPE', 'shape');
    expectError(() => be.empty([]), ShapeError, 'E_SHAPE', 'shape');
  });
  it('rejects strings and other non-numbers in data, naming the index', () => {
    const { be } = setup();
    expectError(() => be.tensor(['1', 'x'] as never, [2]), ValueError, 'E_VALUE', 'data[0]');
    expectError(() => be.tensor('ab' as never, [2]), ValueError, 'E_VALUE', 'data');
    expectError(() => be.tensor(new BigInt64Array(2) as never, [2]), ValueError, 'E_VALUE', 'data');
  });
  it('rejects finite values past float32 range instead of turning them into Infinity; keeps NaN and Infinity', async () => {
    const { be } = setup();
    expectError(() => be.tensor(new Float64Array([1, 3.5e38]), [2]), ValueError, 'E_VALUE', 'data[1]');
    expectError(() => be.tensor([-1e39], [1]), ValueError, 'E_VALUE', 'data[0]');
    const ok = be.tensor([3.4028234e38, Infinity, -Infinity, NaN], [4]);
    const v = await ok.read();
    expect(v[0]).toBe(Math.fround(3.4028234e38));
    expect(v[1]).toBe(Infinity);
    expect(v[2]).toBe(-Infinity);
    expect(Number.isNaN(v[3])).toBe(true);
  });
  it('accepts integer typed arrays (converted to float32)', async () => {
    const { be } = setup();
    expect(Array.from(await be.tensor(new Int32Array([1, -2]), [2]).read())).toEqual([1, -2]);
    // A Uint16Array is numbers, not float16 bits (0x3c00 is 15360, not 1.0).
    expect(Array.from(await be.tensor(new Uint16Array([0x3c00]), [1]).read())).toEqual([15360]);
  });
  it('an op on a tensor of a disposed backend says the backend was disposed', () => {
    const { be, t } = setup();
    const x = t([2, 4]);
    const w = t([4]);
    be.dispose();
    const err = expectError(() => rmsnorm(x, w), DisposedError, 'E_DISPOSED', 'x');
    expect(err.message).toContain('the fake backend was disposed');
  });
});
