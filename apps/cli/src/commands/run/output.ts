/** `llama-ops run`'s human-readable summary of a result. */
import type { Context } from '../../context.js';
import { fmtErr, fmtMs, fmtNum, fmtParam, fmtShape } from '../../format.js';
import type { RunResult } from './execute.js';

export function printRun(ctx: Context, r: RunResult): void {
  const { paint } = ctx;
  ctx.say(`${paint.bold(r.op)} on ${paint.cyan(r.backend)} ${paint.dim(`(${r.dtype})`)}`);
  const params = Object.entries(r.params)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? (v.length > 8 ? `[${v.slice(0, 8).join(',')},…]` : fmtShape(v as number[])) : typeof v === 'object' && v !== null ? describeObject(v) : typeof v === 'number' ? fmtParam(v) : String(v)}`)
    .join('  ');
  ctx.say(paint.dim(params));
  for (const [name, s] of Object.entries(r.outputs)) {
    ctx.say(
      `  ${paint.bold(name.padEnd(3))} shape ${fmtShape(s.shape)}  min ${fmtNum(s.min)}  max ${fmtNum(s.max)}  mean ${fmtNum(s.mean)}  ` +
        `rms ${fmtNum(s.rms)}  checksum ${s.checksum}${s.nonFinite ? paint.red(`  ${s.nonFinite} non-finite`) : ''}` +
        (s.file ? `  → ${s.file}` : ''),
    );
  }
  const timeText =
    r.time.runs > 0 ? `${fmtMs(r.time.medianMs)} (median of ${r.time.runs} runs; first run ${fmtMs(r.time.firstMs)})` : `${fmtMs(r.time.firstMs)} (1 run)`;
  ctx.say(`  time ${timeText}`);
  if (r.check) {
    for (const [name, c] of Object.entries(r.check)) {
      const verdict = c.pass ? paint.green('PASS') : paint.red('FAIL');
      ctx.say(`  check ${name}: max error ${fmtErr(c.maxError)} (tolerance ${c.rule}) ${verdict}`);
      if (!c.pass) ctx.say(`    ${paint.red(c.message)}`);
    }
  }
}

function describeObject(v: object): string {
  const o = v as Record<string, unknown>;
  if ('type' in o) {
    const rest = Object.entries(o)
      .filter(([k]) => k !== 'type')
      .map(([k, x]) => `${k}:${Array.isArray(x) ? `[${x.length}]` : String(x)}`);
    return rest.length ? `${String(o.type)}{${rest.join(',')}}` : String(o.type);
  }
  return JSON.stringify(v);
}
