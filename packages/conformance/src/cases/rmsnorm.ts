/** RMSNorm and fused add+RMSNorm cases (SPEC.md "rmsnorm"). */
import { Rng, sizeOf } from './data.js';
import { defineCase, withF16Variants } from './define.js';
import type { ConformanceCase } from './types.js';

type Make = (rng: Rng, shape: number[]) => { x?: Float32Array; weight?: Float32Array; residual?: Float32Array };
type Options = { eps?: number; weightOffset?: number };

/** A case of `rmsnorm` (residual only if `make` gives one) or of the fused `addRmsnorm`. */
const normCase = (op: 'rmsnorm' | 'addRmsnorm', group: string, detail: string, description: string, shape: number[], make: Make, options: Options = {}) =>
  defineCase(op, group, detail, description, () => {
    const rng = new Rng(`${op}/${group}/${detail}`);
    const d = shape[shape.length - 1];
    const m = make(rng, shape);
    const x = m.x ?? rng.array(sizeOf(shape), 2);
    const weight = m.weight ?? rng.range(d, 0.5, 1.5);
    if (op === 'rmsnorm') return { op, shape, x, weight, residual: m.residual, options };
    return { op, shape, x, residual: m.residual ?? rng.array(sizeOf(shape), 2), weight, options };
  });

const rms = (group: string, detail: string, description: string, shape: number[], make: Make, options?: Options) =>
  normCase('rmsnorm', group, detail, description, shape, make, options);
const addRms = (group: string, detail: string, description: string, shape: number[], make: Make, options?: Options) =>
  normCase('addRmsnorm', group, detail, description, shape, make, options);

const plain = () => ({});

/** Rows of `hidden` values built by `row(r, i)`. */
function rows(count: number, hidden: number, value: (r: number, i: number) => number): Float32Array {
  const out = new Float32Array(count * hidden);
  for (let r = 0; r < count; r++) for (let i = 0; i < hidden; i++) out[r * hidden + i] = value(r, i);
  return out;
}

function build(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  const hiddens: Array<[number, number]> = [
    [1, 4],
    [6, 3],
    [33, 3],
    [64, 4],
    [80, 3],
    [96, 3],
    [128, 4],
    [256, 3],
    [1000, 2],
    [4096, 4],
  ];
  for (const [d, r] of hiddens) {
    cases.push(rms('hidden', `d${d}`, `hidden size ${d} (${r} rows), default eps 1e-6`, [r, d], plain));
  }
  cases.push(rms('rank', '1d', 'x of rank 1 [48]: a single row', [48], plain));
  cases.push(rms('rank', '3d', 'x of rank 3 [2, 3, 40]: rows are every leading index', [2, 3, 40], plain));
  cases.push(rms('rank', '4d', 'x of rank 4 [2, 2, 3, 24]', [2, 2, 3, 24], plain));
  cases.push(rms('rows', 'many', '256 rows of 128 (32K values)', [256, 128], plain));

  cases.push(rms('eps', '1e-5', 'eps 1e-5 (Llama 2/3 configs)', [3, 64], plain, { eps: 1e-5 }));
  cases.push(rms('eps', 'zero', 'eps 0 on non-zero rows', [3, 64], plain, { eps: 0 }));
  cases.push(
    rms('eps', 'dominant', 'eps 0.1 on small values (~0.05): eps dominates the mean square', [3, 64], (rng, s) => ({ x: rng.array(sizeOf(s), 0.1) }), {
      eps: 0.1,
    }),
  );

  cases.push(
    rms('weightOffset', 'gemma', 'weightOffset 1 (Gemma: scale is 1 + weight) with weights near 0', [4, 96], (rng, s) => ({ weight: rng.array(s[1], 0.2) }), {
      weightOffset: 1,
      eps: 1e-6,
    }),
  );
  cases.push(
    rms('weightOffset', 'negative', 'weightOffset -0.5 with negative and zero weights', [3, 64], (rng, s) => {
      const w = rng.array(s[1], 2);
      w[0] = 0;
      w[5] = 0.5;
      return { weight: w };
    }, { weightOffset: -0.5 }),
  );

  cases.push(rms('residual', 'd64', 'rmsnorm with the residual option: normalises x + residual', [3, 64], (rng, s) => ({ residual: rng.array(sizeOf(s), 3) })));
  cases.push(
    rms('residual', 'd4096', 'rmsnorm with residual, hidden 4096', [2, 4096], (rng, s) => ({ residual: rng.array(sizeOf(s), 3) }), {
      eps: 1e-5,
    }),
  );

  cases.push(
    rms('magnitude', '1e18', 'rows of |x| up to 1e18, hidden 512: the sum of squares (5e38) must not overflow f32 (scale before squaring)', [4, 512], (rng) => ({
      x: rows(4, 512, (r, i) => (r === 0 ? 1e18 : r === 1 ? (i % 2 ? -1e18 : 1e18) : r === 2 ? (i === 7 ? 1e18 : rng.uniform(-1, 1)) : rng.uniform(-1, 1) * 1e18)),
    })),
  );
  cases.push(
    rms('magnitude', '1e18-d4096', '|x| ~ 1e17..1e18 over hidden 4096: 4096 * 1e36 overflows float32 unless scaled', [2, 4096], (rng) => ({
      x: rows(2, 4096, () => rng.uniform(1e17, 1e18) * (rng.next() < 0.5 ? -1 : 1)),
    })),
  );
  cases.push(
    rms('magnitude', '1e10', '|x| ~ 1e10: mean square 1e20 (fine in f32, but eps is negligible)', [3, 128], (rng, s) => ({ x: rng.array(sizeOf(s), 1e10) })),
  );
  cases.push(
    rms('magnitude', 'tiny', '|x| ~ 1e-30 with eps 1e-6: y ~ x / 1e-3 (squares underflow; eps dominates)', [3, 64], (rng, s) => ({
      x: rng.array(sizeOf(s), 1e-30),
    })),
  );

  cases.push(
    rms('special', 'zero-row', 'an all-zero row gives zeros (0 / sqrt(eps)), rows around it unaffected', [3, 64], (rng) => ({
      x: rows(3, 64, (r) => (r === 1 ? 0 : rng.uniform(-2, 2))),
    })),
  );
  cases.push(
    rms(
      'special',
      'inf-rows',
      'a row holding +Inf and one holding -Inf: the Inf element is NaN (Inf/Inf), the rest 0 (finite/Inf); other rows unaffected',
      [4, 32],
      (rng) => ({
        x: rows(4, 32, (r, i) => (r === 1 && i === 3 ? Infinity : r === 2 && i === 30 ? -Infinity : rng.uniform(-2, 2))),
      }),
    ),
  );
  cases.push(
    rms('special', 'nan-rows', 'a NaN makes its whole row NaN and leaves the other rows exact', [4, 32], (rng) => ({
      x: rows(4, 32, (r, i) => (r === 2 && i === 11 ? NaN : rng.uniform(-2, 2))),
    })),
  );

  // Fused add + norm: both y and the sum are checked.
  for (const [d, r] of [
    [6, 3],
    [64, 4],
    [128, 3],
    [4096, 2],
  ] as const) {
    cases.push(addRms('hidden', `d${d}`, `addRmsnorm, hidden ${d}: returns y = rmsnorm(x + residual) and sum = x + residual`, [r, d], plain));
  }
  cases.push(addRms('rank', '3d', 'addRmsnorm on [2, 3, 48]', [2, 3, 48], plain));
  cases.push(
    addRms('weightOffset', 'gemma', 'addRmsnorm with weightOffset 1 (Gemma)', [3, 64], (rng, s) => ({ weight: rng.array(s[1], 0.2) }), {
      weightOffset: 1,
    }),
  );
  cases.push(
    addRms('cancellation', 'large', 'x ~ 1e6 and residual ~ -x + O(1): the sum cancels to O(1)', [3, 64], (rng, s) => {
      const x = rng.array(sizeOf(s), 1e6);
      const residual = x.map((v) => -v + rng.uniform(-1, 1));
      return { x, residual };
    }),
  );
  cases.push(
    addRms('magnitude', '5e17', 'x and residual ~ 3e17..5e17 each, hidden 1024: |sum| up to 1e18 must not overflow', [2, 1024], (rng, s) => ({
      x: rng.range(sizeOf(s), 3e17, 5e17),
      residual: rng.range(sizeOf(s), 3e17, 5e17),
    })),
  );
  cases.push(
    addRms('special', 'inf-residual', 'an Inf in the residual: sum holds Inf; its row is NaN at the Inf and 0 elsewhere', [3, 32], (rng) => ({
      residual: rows(3, 32, (r, i) => (r === 0 && i === 4 ? Infinity : rng.uniform(-1, 1))),
    })),
  );

  return withF16Variants(cases, [
    'rmsnorm/hidden/d64',
    'rmsnorm/hidden/d128',
    'rmsnorm/hidden/d4096',
    'rmsnorm/hidden/d6',
    'rmsnorm/weightOffset/gemma',
    'rmsnorm/residual/d64',
    'rmsnorm/special/nan-rows',
    'rmsnorm/special/inf-rows',
    'addRmsnorm/hidden/d128',
    'addRmsnorm/hidden/d4096',
  ]);
}

/** Every RMSNorm / addRmsnorm case. */
export const rmsnormCases: readonly ConformanceCase[] = build();
