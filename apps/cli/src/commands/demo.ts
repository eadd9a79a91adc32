/**
 * `llama-ops demo`: one Llama attention block, run token by token on the chosen backend.
 *
 *   embed -> RMSNorm -> fused q/k/v projection -> RoPE (Llama 3.1 scaling) -> append k/v to a
 *   KV cache -> GQA over the cache -> output projection -> add & norm -> next token
 *
 * The fused projection writes one packed [1, n, q | k | v] tensor, as an engine's does: q, k
 * and v reach RoPE, the KV cache and GQA as views of it (`be.view`), with no copy.
 *
 * A short prompt is prefilled in one step, then a few tokens are decoded one at a time,
 * each attending to the whole (growing) cache. RMSNorm, RoPE, the KV cache and GQA run
 * on the backend; the small matmuls run in JS on the host, because llama-ops has no
 * matmul (it provides exactly the ops between the matmuls). Every op's output at every
 * step is compared with the float64 reference against SPEC.md's tolerance; any failure
 * makes the command exit 1.
 */
import {
  addRmsnorm,
  createKVCache,
  gqa,
  rmsnorm,
  rope,
  type KVCache,
  type RopeScalingLlama3,
  type Tensor,
} from '@llama-ops/core';
import { bool, num, parseFlags, requireNoPositionals, str, UsageError, type FlagSpecs } from '../args.js';
import { chooseBackend, type ChosenBackend } from '../backends.js';
import { checkGqa, checkRmsnorm, checkRope, worst, type CheckResult } from '../check.js';
import { makeContext, type Context } from '../context.js';
import { fmtErr, fmtMs, fmtParam, median, table } from '../format.js';
import { renderHelp } from '../help.js';
import { normal, rng, subSeed } from '../random.js';
import { conformance } from '../reference.js';

export const DEMO_FLAGS: FlagSpecs = {
  prompt: { type: 'string', value: 'TEXT', help: 'prompt (printable ASCII; one token per character)', defaultText: '"The llama says"' },
  steps: { type: 'string', value: 'N', help: 'tokens to decode after the prompt', defaultText: '6' },
  seed: { type: 'string', value: 'N', help: 'seed of the random weights', defaultText: '1' },
};

export const DEMO_HELP = renderHelp({
  usage: 'llama-ops demo [options]',
  summary: 'Run one Llama attention block token by token on the chosen backend, checking every step.',
  details: [
    'The block is Llama 3.1-shaped but small (hidden 256, 8 query heads sharing 2 KV heads,\n' +
      'head dim 32), with random seeded weights: embeddings -> RMSNorm -> q/k/v projections ->\n' +
      'RoPE (theta 500000, llama3 scaling: factor 8, low 1, high 4, original 8192) -> GQA over a\n' +
      'growing KV cache -> output projection -> add & norm -> vocabulary head -> next token.\n' +
      'RMSNorm, RoPE, the KV cache and GQA run on the backend; the matmuls run in JS on the host\n' +
      '(llama-ops has no matmul). Each op output is checked against the float64 reference; the\n' +
      'command exits 1 if any check fails.',
  ],
  groups: [{ title: 'Options', flags: DEMO_FLAGS }],
  examples: ['llama-ops demo', 'llama-ops demo --backend wasm --steps 12', 'llama-ops demo --prompt "Hello" --json'],
});

/** The block's dimensions: Llama 3.1's structure at a size any backend runs in milliseconds. */
const CONFIG = {
  hidden: 256,
  headsQ: 8,
  headsKV: 2,
  headDim: 32,
  eps: 1e-5,
  theta: 500000,
  scaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 } as RopeScalingLlama3,
} as const;

/** Tokens are the 95 printable ASCII characters. */
const VOCAB_FIRST = 32;
const VOCAB = 95;

interface Weights {
  embed: Float32Array; // [VOCAB, hidden]
  norm1: Float32Array; // [hidden]
  /** The fused q/k/v projection, [hidden, Hq*d + 2*Hkv*d]: each row is wq's, then wk's, then wv's. */
  wqkv: Float32Array;
  wo: Float32Array; // [Hq*d, hidden]
  norm2: Float32Array; // [hidden]
  head: Float32Array; // [hidden, VOCAB], the vocabulary head
}

function makeWeights(seed: number): Weights {
  const { hidden, headsQ, headsKV, headDim } = CONFIG;
  const g = (name: string, n: number, scale: number, offset = 0) => normal(rng(subSeed(seed, name)), n, scale, offset);
  const qDim = headsQ * headDim;
  const kvDim = headsKV * headDim;
  const wq = g('wq', hidden * qDim, 1 / Math.sqrt(hidden));
  const wk = g('wk', hidden * kvDim, 1 / Math.sqrt(hidden));
  const wv = g('wv', hidden * kvDim, 1 / Math.sqrt(hidden));
  const row = qDim + 2 * kvDim;
  const wqkv = new Float32Array(hidden * row);
  for (let i = 0; i < hidden; i++) {
    wqkv.set(wq.subarray(i * qDim, (i + 1) * qDim), i * row);
    wqkv.set(wk.subarray(i * kvDim, (i + 1) * kvDim), i * row + qDim);
    wqkv.set(wv.subarray(i * kvDim, (i + 1) * kvDim), i * row + qDim + kvDim);
  }
  return {
    embed: g('embed', VOCAB * hidden, 1),
    norm1: g('norm1', hidden, 0.1, 1),
    wqkv,
    wo: g('wo', headsQ * headDim * hidden, 1 / Math.sqrt(headsQ * headDim)),
    norm2: g('norm2', hidden, 0.1, 1),
    head: g('head', hidden * VOCAB, 1 / Math.sqrt(hidden)),
  };
}

/** `a [rows, inner] · w [inner, cols]` on the host, accumulating in float64. */
/** Columns `[offset, offset + width)` of each of the `rows` rows of `packed` (row length `stride`), contiguous. */
function columns(packed: Float32Array, rows: number, stride: number, offset: number, width: number): Float32Array {
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(packed.subarray(r * stride + offset, r * stride + offset + width), r * width);
  return out;
}

function matmul(a: Float32Array, w: Float32Array, rows: number, inner: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    acc.fill(0);
    for (let i = 0; i < inner; i++) {
      const x = a[r * inner + i];
      const row = i * cols;
      for (let c = 0; c < cols; c++) acc[c] += x * w[row + c];
    }
    out.set(acc, r * cols);
  }
  return out;
}

/** One stage of a step: what it did, where, how long, and its check. */
interface Stage {
  name: string;
  what: string;
  where: string;
  ms: number;
  check?: CheckResult;
}

interface StepReport {
  kind: 'prefill' | 'decode';
  index: number;
  tokens: string;
  positions: [number, number];
  kvLength: number;
  stages: Stage[];
  ms: number;
  next: string;
  pass: boolean;
}

const tokenChar = (id: number) => String.fromCharCode(VOCAB_FIRST + id);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const quote = (s: string) => JSON.stringify(s);

export async function demoCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags('demo', argv, DEMO_FLAGS);
  if (bool(values, 'help')) {
    process.stdout.write(DEMO_HELP);
    return 0;
  }
  requireNoPositionals('demo', positionals);
  const ctx = makeContext(values);
  const prompt = str(values, 'prompt') ?? 'The llama says';
  if (prompt.length === 0) throw new UsageError('--prompt: expected at least one character', 'demo');
  const bad = [...prompt].find((c) => c.charCodeAt(0) < VOCAB_FIRST || c.charCodeAt(0) >= VOCAB_FIRST + VOCAB);
  if (bad !== undefined) throw new UsageError(`--prompt: only printable ASCII is in the demo's vocabulary, got ${quote(bad)}`, 'demo');
  const steps = num(values, 'steps', 6, { integer: true, min: 0, max: 1000 });
  const seed = num(values, 'seed', 1, { integer: true, min: 0 });

  const chosen = await chooseBackend(str(values, 'backend'));
  try {
    return await runDemo(ctx, chosen, prompt, steps, seed);
  } finally {
    chosen.backend.dispose();
  }
}

async function runDemo(ctx: Context, chosen: ChosenBackend, prompt: string, steps: number, seed: number): Promise<number> {
  const { paint } = ctx;
  const be = chosen.backend;
  const { hidden, headsQ, headsKV, headDim, eps, theta, scaling } = CONFIG;
  const qDim = headsQ * headDim;
  const kvDim = headsKV * headDim;
  const qkvDim = qDim + 2 * kvDim;
  const kit = await conformance();
  const { referenceAddRmsnorm, referenceRope, referenceGqa } = kit.ref;
  const w = makeWeights(seed);
  const norm1 = be.tensor(w.norm1, [hidden]);
  const norm2 = be.tensor(w.norm2, [hidden]);
  const promptTokens = [...prompt].map((c) => c.charCodeAt(0) - VOCAB_FIRST);
  const capacity = promptTokens.length + steps;
  const cache: KVCache = createKVCache(be, { batch: 1, capacity, kvHeads: headsKV, headDim });

  // Header: what runs where, and why this backend.
  ctx.say(`${paint.bold('llama-ops demo')} · one Llama attention block, token by token, on ${paint.cyan(paint.bold(be.name))}`);
  ctx.say(`  ${paint.dim('backend ')} ${chosen.why}`);
  for (const a of chosen.attempts) ctx.say(`  ${paint.dim('        ')} ${paint.dim(`${a.name}: ${a.reason}${a.install ? ` (${a.install})` : ''}`)}`);
  ctx.say(`  ${paint.dim('model   ')} hidden ${hidden} · ${headsQ} query heads share ${headsKV} KV heads (GQA, groups of ${headsQ / headsKV}) · head dim ${headDim}`);
  ctx.say(
    `  ${paint.dim('rope    ')} theta ${theta} · llama3 scaling (factor ${scaling.factor}, low ${scaling.lowFreqFactor}, high ${scaling.highFreqFactor}, original context ${scaling.originalMaxPositionEmbeddings})`,
  );
  ctx.say(`  ${paint.dim('weights ')} random, seed ${seed}: the generated text means nothing; the numbers are what is checked`);
  ctx.say(`  ${paint.dim('host    ')} q/k/v/o projections and the vocabulary head are matmuls in JS on the host —`);
  ctx.say(`  ${paint.dim('        ')} llama-ops has no matmul; it provides RMSNorm, RoPE, the KV cache and GQA, which run on ${be.name}`);
  ctx.say(`  ${paint.dim('check   ')} every op output vs the float64 reference, within SPEC.md's tolerance`);
  const decodeText = steps === 0 ? 'no decode steps (--steps 0)' : plural(steps, 'decode step');
  ctx.say(`  ${paint.dim('prompt  ')} ${quote(prompt)} → ${plural(promptTokens.length, 'token')} (one per character), then ${decodeText}`);
  ctx.say();

  const reports: StepReport[] = [];
  let tokens = promptTokens;
  let generated = '';
  for (let step = 0; step <= steps; step++) {
    const kind = step === 0 ? 'prefill' : 'decode';
    const n = tokens.length;
    const p0 = cache.length;
    const stages: Stage[] = [];
    const live: Tensor[] = [];
    const keep = <T extends Tensor>(t: T) => {
      live.push(t);
      return t;
    };
    let t = performance.now();
    const lap = () => {
      const now = performance.now();
      const ms = now - t;
      t = now;
      return ms;
    };
    const stepStart = t;

    // 1. Embedding lookup (host).
    const x = new Float32Array(n * hidden);
    tokens.forEach((id, i) => x.set(w.embed.subarray(id * hidden, (id + 1) * hidden), i * hidden));
    stages.push({ name: 'embed', what: `${n} token${n > 1 ? 's' : ''} → [1, ${n}, ${hidden}]`, where: 'host', ms: lap() });

    // 2. RMSNorm (backend), read back for the host matmuls.
    const xT = keep(be.tensor(x, [1, n, hidden]));
    const hT = keep(rmsnorm(xT, norm1, { eps }));
    const h = await hT.read();
    stages.push({ name: 'rmsnorm', what: `eps ${fmtParam(eps)}, over ${hidden}`, where: be.name, ms: lap() });

    // 3. Fused q/k/v projection (host): one packed [1, n, q | k | v] output per token, as an
    // engine's fused QKV matmul writes it.
    const qkv = matmul(h, w.wqkv, n, hidden, qkvDim);
    stages.push({ name: 'q/k/v proj', what: `${hidden} → q ${qDim}, k ${kvDim}, v ${kvDim}, one packed row`, where: 'host', ms: lap() });

    // 4. RoPE on q and k (backend), Llama 3.1 frequencies. One upload of the packed tensor;
    // q, k and v are views of it (no copy), with the packed row as their token stride.
    const qkvT = keep(be.tensor(qkv, [1, n, qkvDim]));
    const qT = be.view(qkvT, { shape: [1, n, headsQ, headDim], rowStride: qkvDim });
    const kT = be.view(qkvT, { shape: [1, n, headsKV, headDim], offset: qDim, rowStride: qkvDim });
    const vT = be.view(qkvT, { shape: [1, n, headsKV, headDim], offset: qDim + kvDim, rowStride: qkvDim });
    const ropeOpts = { positions: p0, theta, scaling };
    const qR = keep(rope(qT, ropeOpts));
    const kR = keep(rope(kT, ropeOpts));
    await be.sync();
    const posText = n > 1 ? `${p0}–${p0 + n - 1}` : `${p0}`;
    stages.push({ name: 'rope', what: `q and k at position${n > 1 ? 's' : ''} ${posText}`, where: be.name, ms: lap() });

    // 5. KV cache append (backend copy, no round trip; v straight from its view).
    cache.append(kR, vT);
    await be.sync();
    stages.push({ name: 'kv cache', what: `append ${n} → ${cache.length} of ${capacity} positions`, where: be.name, ms: lap() });

    // 6. GQA over the whole cache (causal, aligned to the end of the cache).
    const oT = keep(gqa(qR, cache.k, cache.v, { kvLength: cache.length }));
    const o = await oT.read();
    stages.push({
      name: 'gqa',
      what: `causal, ${n} quer${n > 1 ? 'ies' : 'y'} × ${cache.length} keys, ${headsQ}→${headsKV} heads`,
      where: be.name,
      ms: lap(),
    });

    // 7. Output projection (host).
    const attn = matmul(o, w.wo, n, qDim, hidden);
    stages.push({ name: 'o proj', what: `${qDim} → ${hidden}`, where: 'host', ms: lap() });

    // 8. Residual add & RMSNorm, fused (backend).
    const attnT = keep(be.tensor(attn, [1, n, hidden]));
    const { y: yT, sum: sumT } = addRmsnorm(attnT, xT, norm2, { eps });
    keep(yT);
    keep(sumT);
    const y = await yT.read();
    stages.push({ name: 'add & norm', what: 'residual + attention, then RMSNorm (fused)', where: be.name, ms: lap() });

    // 9. Next token: vocabulary logits of the last position, greedy argmax (host).
    const logits = matmul(y.subarray((n - 1) * hidden, n * hidden), w.head, 1, hidden, VOCAB);
    let best = 0;
    for (let id = 1; id < VOCAB; id++) if (logits[id] > logits[best]) best = id;
    stages.push({ name: 'next token', what: `logits over ${VOCAB} tokens, argmax → ${quote(tokenChar(best))}`, where: 'host', ms: lap() });
    const stepMs = performance.now() - stepStart;

    // Checks (not timed): each backend op against the float64 reference on the same inputs.
    const q = columns(qkv, n, qkvDim, 0, qDim);
    const k = columns(qkv, n, qkvDim, qDim, kvDim);
    const [qRot, kRot, kCache, vCache, sum] = await Promise.all([qR.read(), kR.read(), cache.k.read(), cache.v.read(), sumT.read()]);
    const byName = (name: string) => stages.find((s) => s.name === name)!;
    const xShape = [1, n, hidden];
    byName('rmsnorm').check = checkRmsnorm(kit, h, referenceAddRmsnorm(x, null, xShape, w.norm1, { eps }).y, xShape, 'f32');
    const checkRopeOf = (input: Float32Array, output: Float32Array, heads: number) => {
      const shape: [number, number, number, number] = [1, n, heads, headDim];
      return checkRope(kit, output, referenceRope(input, shape, ropeOpts), input, shape, ropeOpts, 'f32');
    };
    byName('rope').check = worst(checkRopeOf(q, qRot, headsQ), checkRopeOf(k, kRot, headsKV));
    const cacheShape = [1, capacity, headsKV, headDim];
    const qShape = [1, n, headsQ, headDim];
    const gqaRef = referenceGqa(qRot, kCache, vCache, { q: qShape, k: cacheShape, v: cacheShape }, { kvLength: cache.length });
    byName('gqa').check = checkGqa(kit, o, gqaRef, vCache, cacheShape, cache.length, qShape, 'f32');
    const normRef = referenceAddRmsnorm(attn, x, xShape, w.norm2, { eps });
    byName('add & norm').check = worst(checkRmsnorm(kit, y, normRef.y, xShape, 'f32', 'y'), checkRmsnorm(kit, sum, normRef.sum, xShape, 'f32', 'sum'));
    for (const tensor of live) tensor.dispose();

    const report: StepReport = {
      kind,
      index: step,
      tokens: tokens.map(tokenChar).join(''),
      positions: [p0, p0 + n - 1],
      kvLength: cache.length,
      stages,
      ms: stepMs,
      next: tokenChar(best),
      pass: stages.every((s) => !s.check || s.check.pass),
    };
    reports.push(report);
    if (kind === 'prefill') printPrefill(ctx, report);
    else {
      if (step === 1) printDecodeHeader(ctx, be.name);
      printDecodeRow(ctx, report);
    }
    if (step > 0) generated += tokenChar(tokens[0]);
    tokens = [best];
  }
  generated += tokenChar(tokens[0]);
  cache.dispose();
  norm1.dispose();
  norm2.dispose();

  const checks = reports.flatMap((r) => r.stages.filter((s) => s.check));
  const failed = checks.filter((s) => !s.check!.pass);
  const pass = failed.length === 0;
  const decodeMs = reports.filter((r) => r.kind === 'decode').map((r) => r.ms);
  if (ctx.json) {
    ctx.emitJson({
      backend: be.name,
      why: chosen.why,
      attempts: chosen.attempts,
      config: { ...CONFIG, vocab: VOCAB, seed, prompt, steps, capacity },
      steps: reports,
      generated,
      timing: { prefillMs: reports[0].ms, decodeMedianMs: decodeMs.length ? median(decodeMs) : null },
      checks: checks.length,
      failed: failed.length,
      pass,
    });
  } else {
    ctx.say();
    const predicted = steps === 0 ? '1 greedy token, predicted by the prefill' : `${generated.length} greedy tokens`;
    ctx.say(`  ${paint.dim('generated')} ${quote(prompt)} → ${quote(generated)} ${paint.dim(`(${predicted}; random weights, so any text is as good as another)`)}`);
    const timing =
      `prefill ${fmtMs(reports[0].ms)} for ${plural(promptTokens.length, 'token')}` +
      (decodeMs.length ? ` · decode ${fmtMs(median(decodeMs))} per token (median of ${decodeMs.length})` : '');
    ctx.say(`  ${paint.dim('timing   ')} ${timing} ${paint.dim('(first step includes warm-up)')}`);
    const verdict = pass
      ? paint.green(paint.bold(`PASS — all ${checks.length} checks within SPEC tolerance`))
      : paint.red(paint.bold(`FAIL — ${failed.length} of ${checks.length} checks out of tolerance`));
    ctx.say(`  ${paint.dim('result   ')} ${verdict}`);
  }
  return pass ? 0 : 1;
}

function verdict(ctx: Context, c: CheckResult): string {
  const text = `err ${fmtErr(c.maxError)} ≤ ${fmtErr(c.tolerance)}`;
  return c.pass ? `${ctx.paint.dim(text)} ${ctx.paint.green('✓')}` : ctx.paint.red(`err ${fmtErr(c.maxError)} > ${fmtErr(c.tolerance)} ✗`);
}

function printPrefill(ctx: Context, r: StepReport): void {
  const { paint } = ctx;
  const at = r.positions[0] === r.positions[1] ? `position ${r.positions[0]}` : `positions ${r.positions[0]}–${r.positions[1]}`;
  ctx.say(`${paint.bold('prefill')} · ${plural(r.tokens.length, 'token')} ${quote(r.tokens)} at ${at}`);
  const rows = r.stages.map((s) => [
    s.name,
    s.what,
    s.where === 'host' ? paint.dim('host') : paint.cyan(s.where),
    fmtMs(s.ms),
    s.check ? verdict(ctx, s.check) : '',
  ]);
  const t = table(['stage', 'what', 'where', 'time', 'check vs float64 reference'], rows, {
    align: ['left', 'left', 'left', 'right', 'left'],
    paint,
    indent: '  ',
  });
  ctx.say(t);
  ctx.say(`  ${paint.bold(`step ${fmtMs(r.ms)}`)} · ${r.pass ? paint.green('PASS') : paint.red('FAIL')}`);
  ctx.say();
}

const DECODE_COLUMNS = ['rmsnorm', 'rope', 'gqa', 'add & norm'] as const;

function printDecodeHeader(ctx: Context, backend: string): void {
  const { paint } = ctx;
  ctx.say(`${paint.bold('decode')} · one token per step through the same block; the KV cache grows by one each step`);
  ctx.say(paint.dim(`  columns: max |error| of each ${backend} op vs the float64 reference (each must be within SPEC tolerance)`));
  ctx.say(
    paint.bold(
      `  ${'step'.padEnd(5)}${'token'.padEnd(7)}${'pos'.padStart(4)}${'kv'.padStart(5)}  ${DECODE_COLUMNS.map((c) => c.padStart(11)).join('')}${'time'.padStart(10)}  next`,
    ),
  );
}

function printDecodeRow(ctx: Context, r: StepReport): void {
  const { paint } = ctx;
  const cells = DECODE_COLUMNS.map((name) => {
    const c = r.stages.find((s) => s.name === name)!.check!;
    const text = fmtErr(c.maxError).padStart(11);
    return c.pass ? text : paint.red(text);
  }).join('');
  const verdictText = r.pass ? paint.green('PASS') : paint.red('FAIL');
  ctx.say(
    `  ${String(r.index).padEnd(5)}${quote(r.tokens).padEnd(7)}${String(r.positions[0]).padStart(4)}${String(r.kvLength).padStart(5)}  ${cells}${fmtMs(r.ms).padStart(10)}  ${quote(r.next)} ${verdictText}`,
  );
}


