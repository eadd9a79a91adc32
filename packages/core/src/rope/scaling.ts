/**
 * RoPE frequency scaling, in float64, following Hugging Face transformers'
 * `modeling_rope_utils.py` with camelCase parameter names. This is the one place the
 * scaling maths lives; backends receive the final per-pair frequencies and never
 * recompute them.
 */
import { ValueError } from '../errors.js';
import { checkNumber, checkOptions } from '../validation.js';

/** Unscaled RoPE. */
export interface RopeScalingDefault {
  type: 'default';
}

/** Position interpolation: `invFreq /= factor`. */
export interface RopeScalingLinear {
  type: 'linear';
  factor: number;
}

/** Dynamic NTK: the base grows once the largest position passes `maxPositionEmbeddings`. */
export interface RopeScalingDynamic {
  type: 'dynamic';
  factor: number;
  maxPositionEmbeddings: number;
}

/** Llama 3.1's piecewise scaling by wavelength. */
export interface RopeScalingLlama3 {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

/** YaRN (Peng et al. 2023): ramp between interpolated and extrapolated frequencies. */
export interface RopeScalingYarn {
  type: 'yarn';
  factor: number;
  originalMaxPositionEmbeddings: number;
  /** Default 32. */
  betaFast?: number;
  /** Default 1. */
  betaSlow?: number;
  /** Overrides the attention factor; default `0.1 ln(factor) + 1` or the mscale ratio. */
  attentionFactor?: number;
  mscale?: number;
  mscaleAllDim?: number;
  /** Round the correction range to integers (default true). */
  truncate?: boolean;
}

/** LongRoPE (Phi-3): per-pair rescale factors, long ones past the original context. */
export interface RopeScalingLongrope {
  type: 'longrope';
  /** `rotaryDim / 2` factors, used while the largest position `< originalMaxPositionEmbeddings`. */
  shortFactor: readonly number[];
  /** `rotaryDim / 2` factors, used once the largest position `>= originalMaxPositionEmbeddings`. */
  longFactor: readonly number[];
  originalMaxPositionEmbeddings: number;
  maxPositionEmbeddings: number;
  /** Default `sqrt(1 + ln(max/origMax) / ln(origMax))` (1 when `max <= origMax`). */
  attentionFactor?: number;
}

/** Every scaling type of SPEC.md. */
export type RopeScaling =
  | RopeScalingDefault
  | RopeScalingLinear
  | RopeScalingDynamic
  | RopeScalingLlama3
  | RopeScalingYarn
  | RopeScalingLongrope;

/** The scaling type names. */
export type RopeScalingType = RopeScaling['type'];

/** Final frequencies of one RoPE configuration. */
export interface RopeFrequencies {
  /** `rotaryDim / 2` inverse frequencies (radians per position), after scaling. */
  invFreq: Float64Array;
  /** Both rotated values are multiplied by this (1 unless YaRN/LongRoPE say otherwise). */
  attentionFactor: number;
  /** A string equal for equal frequencies, for caches. */
  key: string;
}

const OP = 'rope';

/** The fields each scaling type takes (besides `type`): any other key is a typo. */
const SCALING_KEYS: Record<RopeScalingType, readonly string[]> = {
  default: [],
  linear: ['factor'],
  dynamic: ['factor', 'maxPositionEmbeddings'],
  llama3: ['factor', 'lowFreqFactor', 'highFreqFactor', 'originalMaxPositionEmbeddings'],
  yarn: ['factor', 'originalMaxPositionEmbeddings', 'betaFast', 'betaSlow', 'attentionFactor', 'mscale', 'mscaleAllDim', 'truncate'],
  longrope: ['shortFactor', 'longFactor', 'originalMaxPositionEmbeddings', 'maxPositionEmbeddings', 'attentionFactor'],
};

/** Validate a scaling object; returns it typed. Throws `ValueError` naming the field. */
export function checkRopeScaling(scaling: unknown, rotaryDim: number): RopeScaling {
  if (scaling === undefined) return { type: 'default' };
  if (scaling === null || typeof scaling !== 'object') {
    throw new ValueError({ op: OP, argument: 'options.scaling', expected: 'a scaling object { type, ... }', actual: String(scaling) });
  }
  const s = scaling as Record<string, unknown>;
  const known = SCALING_KEYS[s.type as RopeScalingType];
  if (known) checkOptions(OP, s, ['type', ...known], 'options.scaling');
  const arg = (name: string) => `options.scaling.${name}`;
  const positive = (name: string) => checkNumber(OP, arg(name), s[name], { min: 0, minExclusive: true });
  const positiveInt = (name: string) => checkNumber(OP, arg(name), s[name], { min: 1, integer: true });
  switch (s.type) {
    case 'default':
      return { type: 'default' };
    case 'linear':
      return { type: 'linear', factor: positive('factor') };
    case 'dynamic':
      return { type: 'dynamic', factor: positive('factor'), maxPositionEmbeddings: positiveInt('maxPositionEmbeddings') };
    case 'llama3': {
      const r: RopeScalingLlama3 = {
        type: 'llama3',
        factor: positive('factor'),
        lowFreqFactor: positive('lowFreqFactor'),
        highFreqFactor: positive('highFreqFactor'),
        originalMaxPositionEmbeddings: positiveInt('originalMaxPositionEmbeddings'),
      };
      if (r.highFreqFactor <= r.lowFreqFactor) {
        throw new ValueError({
          op: OP,
          argument: arg('highFreqFactor'),
          expected: `> lowFreqFactor (${r.lowFreqFactor})`,
          actual: String(r.highFreqFactor),
        });
      }
      return r;
    }
    case 'yarn': {
      const r: RopeScalingYarn = {
        type: 'yarn',
        factor: positive('factor'),
        originalMaxPositionEmbeddings: positiveInt('originalMaxPositionEmbeddings'),
      };
      if (s.betaFast !== undefined) r.betaFast = positive('betaFast');
      if (s.betaSlow !== undefined) r.betaSlow = positive('betaSlow');
      if (s.attentionFactor !== undefined) r.attentionFactor = positive('attentionFactor');
      if (s.mscale !== undefined) r.mscale = checkNumber(OP, arg('mscale'), s.mscale);
      if (s.mscaleAllDim !== undefined) r.mscaleAllDim = checkNumber(OP, arg('mscaleAllDim'), s.mscaleAllDim);
      if (r.attentionFactor === undefined && r.mscale && r.mscaleAllDim) {
        const f = yarnMscale(r.factor, r.mscale) / yarnMscale(r.factor, r.mscaleAllDim);
        if (!(f > 0 && Number.isFinite(f))) {
          throw new ValueError({
            op: OP,
            argument: arg('mscaleAllDim'),
            expected: 'mscale and mscaleAllDim whose attention factor yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAllDim) is finite and > 0',
            actual: `${r.mscaleAllDim} (factor ${f})`,
          });
        }
      }
      if (s.truncate !== undefined) {
        if (typeof s.truncate !== 'boolean') {
          throw new ValueError({ op: OP, argument: arg('truncate'), expected: 'a boolean', actual: String(s.truncate) });
        }
        r.truncate = s.truncate;
      }
      return r;
    }
    case 'longrope': {
      const factors = (name: string): number[] => {
        const v = s[name];
        if (!Array.isArray(v) && !(v instanceof Float64Array) && !(v instanceof Float32Array)) {
          throw new ValueError({ op: OP, argument: arg(name), expected: `${rotaryDim / 2} numbers`, actual: String(v) });
        }
        const a = Array.from(v as ArrayLike<number>);
        if (a.length !== rotaryDim / 2) {
          throw new ValueError({
            op: OP,
            argument: arg(name),
            expected: `${rotaryDim / 2} factors (rotaryDim / 2)`,
            actual: `${a.length} factors`,
          });
        }
        a.forEach((f, i) => checkNumber(OP, `${arg(name)}[${i}]`, f, { min: 0, minExclusive: true }));
        return a;
      };
      const r: RopeScalingLongrope = {
        type: 'longrope',
        shortFactor: factors('shortFactor'),
        longFactor: factors('longFactor'),
        originalMaxPositionEmbeddings: positiveInt('originalMaxPositionEmbeddings'),
        maxPositionEmbeddings: positiveInt('maxPositionEmbeddings'),
      };
      if (s.attentionFactor !== undefined) r.attentionFactor = positive('attentionFactor');
      if (r.attentionFactor === undefined && r.maxPositionEmbeddings > r.originalMaxPositionEmbeddings && r.originalMaxPositionEmbeddings < 2) {
        // The default factor sqrt(1 + ln(max / orig) / ln(orig)) divides by ln(1) = 0.
        throw new ValueError({
          op: OP,
          argument: arg('originalMaxPositionEmbeddings'),
          expected: '>= 2 (the default attentionFactor divides by its logarithm), or an explicit attentionFactor',
          actual: String(r.originalMaxPositionEmbeddings),
        });
      }
      return r;
    }
    default:
      throw new ValueError({
        op: OP,
        argument: arg('type'),
        expected: "'default', 'linear', 'dynamic', 'llama3', 'yarn' or 'longrope'",
        actual: String(s.type),
      });
  }
}

/** `theta ^ (-2i / rotaryDim)` for i in [0, rotaryDim/2). */
function baseInvFreq(theta: number, rotaryDim: number): Float64Array {
  const pairs = rotaryDim / 2;
  const inv = new Float64Array(pairs);
  for (let i = 0; i < pairs; i++) inv[i] = 1 / Math.pow(theta, (2 * i) / rotaryDim);
  return inv;
}

function yarnMscale(scale: number, mscale = 1): number {
  return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

/**
 * The final inverse frequencies and attention factor of a RoPE configuration, in float64.
 *
 * @param rotaryDim - even number of rotated dims.
 * @param theta - the base.
 * @param scaling - a validated scaling (see {@link checkRopeScaling}).
 * @param maxPosition - the largest position of the call (dynamic and LongRoPE depend on it).
 * @throws ValueError when the configuration would give non-finite cos/sin tables: an inverse
 *   frequency (or its angle at `maxPosition`) that is not finite, or an attention factor
 *   beyond float32's range (e.g. a `factor` so small that `1 / factor` overflows).
 */
export function ropeFrequencies(rotaryDim: number, theta: number, scaling: RopeScaling, maxPosition: number): RopeFrequencies {
  return checkFinite(computeFrequencies(rotaryDim, theta, scaling, maxPosition), scaling, maxPosition);
}

const F32_MAX = 3.4028234663852886e38;

/**
 * Every accepted configuration gives finite cos/sin tables: finite inverse frequencies whose
 * angle at `maxPosition` is finite, and an attention factor float32 can hold. Parameters that
 * pass their own checks but break this together (a `factor` or LongRoPE factor so small that
 * `1 / factor` overflows, an attention factor beyond float32's range) are a ValueError naming
 * the scaling, never Inf/NaN outputs.
 */
function checkFinite(freq: RopeFrequencies, scaling: RopeScaling, maxPosition: number): RopeFrequencies {
  const argument = scaling.type === 'default' ? 'options.theta' : 'options.scaling';
  const af = freq.attentionFactor;
  if (!(af > 0) || !Number.isFinite(Math.fround(af))) {
    const explicit = 'attentionFactor' in scaling && scaling.attentionFactor !== undefined;
    throw new ValueError({
      op: OP,
      argument: explicit ? 'options.scaling.attentionFactor' : 'options.scaling',
      expected: `an attention factor in (0, ${F32_MAX.toPrecision(8)}] (the float32 cos/sin tables are multiplied by it)`,
      actual: explicit ? String(af) : `${af}, the ${scaling.type} attention factor of ${describeScaling(scaling)}`,
    });
  }
  const inv = freq.invFreq;
  for (let i = 0; i < inv.length; i++) {
    const v = inv[i];
    if (!Number.isFinite(v) || !Number.isFinite(v * Math.max(maxPosition, 1))) {
      throw new ValueError({
        op: OP,
        argument,
        expected: `parameters whose inverse frequencies give finite angles up to position ${maxPosition}`,
        actual: `invFreq[${i}] = ${v} from ${describeScaling(scaling)}`,
      });
    }
  }
  return freq;
}

function describeScaling(scaling: RopeScaling): string {
  const fields = Object.entries(scaling).map(([k, v]) => `${k}: ${Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'string' ? `'${v}'` : String(v)}`);
  return `{ ${fields.join(', ')} }`;
}

function computeFrequencies(rotaryDim: number, theta: number, scaling: RopeScaling, maxPosition: number): RopeFrequencies {
  const pairs = rotaryDim / 2;
  const base = `${rotaryDim}|${theta}`;
  switch (scaling.type) {
    case 'default':
      return { invFreq: baseInvFreq(theta, rotaryDim), attentionFactor: 1, key: `${base}|default` };
    case 'linear': {
      const inv = baseInvFreq(theta, rotaryDim).map((f) => f / scaling.factor);
      return { invFreq: inv, attentionFactor: 1, key: `${base}|linear|${scaling.factor}` };
    }
    case 'dynamic': {
      const L = maxPosition + 1;
      if (L <= scaling.maxPositionEmbeddings) {
        return { invFreq: baseInvFreq(theta, rotaryDim), attentionFactor: 1, key: `${base}|default` };
      }
      const f = scaling.factor;
      const newTheta = theta * Math.pow((f * L) / scaling.maxPositionEmbeddings - (f - 1), rotaryDim / (rotaryDim - 2));
      return { invFreq: baseInvFreq(newTheta, rotaryDim), attentionFactor: 1, key: `${rotaryDim}|${newTheta}|default` };
    }
    case 'llama3': {
      const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: origMax } = scaling;
      const lowWavelen = origMax / lowFreqFactor;
      const highWavelen = origMax / highFreqFactor;
      const inv = baseInvFreq(theta, rotaryDim);
      for (let i = 0; i < pairs; i++) {
        const wavelen = (2 * Math.PI) / inv[i];
        if (wavelen > lowWavelen) {
          inv[i] = inv[i] / factor;
        } else if (wavelen >= highWavelen) {
          const smooth = (origMax / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
          inv[i] = ((1 - smooth) * inv[i]) / factor + smooth * inv[i];
        }
      }
      return {
        invFreq: inv,
        attentionFactor: 1,
        key: `${base}|llama3|${factor}|${lowFreqFactor}|${highFreqFactor}|${origMax}`,
      };
    }
    case 'yarn': {
      const { factor, originalMaxPositionEmbeddings: origMax } = scaling;
      const betaFast = scaling.betaFast ?? 32;
      const betaSlow = scaling.betaSlow ?? 1;
      const truncate = scaling.truncate ?? true;
      let attentionFactor = scaling.attentionFactor;
      if (attentionFactor === undefined) {
        attentionFactor =
          scaling.mscale && scaling.mscaleAllDim
            ? yarnMscale(factor, scaling.mscale) / yarnMscale(factor, scaling.mscaleAllDim)
            : yarnMscale(factor);
      }
      const correctionDim = (rotations: number) =>
        (rotaryDim * Math.log(origMax / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
      let low = correctionDim(betaFast);
      let high = correctionDim(betaSlow);
      if (truncate) {
        low = Math.floor(low);
        high = Math.ceil(high);
      }
      low = Math.max(low, 0);
      high = Math.min(high, rotaryDim - 1);
      if (low === high) high += 0.001;
      const inv = new Float64Array(pairs);
      for (let i = 0; i < pairs; i++) {
        const posFreq = Math.pow(theta, (2 * i) / rotaryDim);
        const extrapolation = 1 / posFreq;
        const interpolation = 1 / (factor * posFreq);
        const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
        const extrapolationFactor = 1 - ramp;
        inv[i] = interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor;
      }
      return {
        invFreq: inv,
        attentionFactor,
        key: `${base}|yarn|${factor}|${origMax}|${betaFast}|${betaSlow}|${truncate}|${attentionFactor}`,
      };
    }
    case 'longrope': {
      const { originalMaxPositionEmbeddings: origMax, maxPositionEmbeddings: maxPE } = scaling;
      const long = maxPosition >= origMax;
      const ext = long ? scaling.longFactor : scaling.shortFactor;
      let attentionFactor = scaling.attentionFactor;
      if (attentionFactor === undefined) {
        const f = maxPE / origMax;
        attentionFactor = f <= 1 ? 1 : Math.sqrt(1 + Math.log(f) / Math.log(origMax));
      }
      const inv = new Float64Array(pairs);
      for (let i = 0; i < pairs; i++) inv[i] = 1 / (ext[i] * Math.pow(theta, (2 * i) / rotaryDim));
      return {
        invFreq: inv,
        attentionFactor,
        key: `${base}|longrope|${long ? 'long' : 'short'}|${ext.join(',')}|${attentionFactor}`,
      };
    }
  }
}
