/**
 * Where the quick probe's time goes (a development benchmark, not a test): what
 * `chooseBackend({ candidates: [name], verify: 'quick', cache: false })` costs cold (the first
 * call in a fresh Node process) and warm (repeated in one process), with backend creation,
 * and per case and phase (build inputs, upload, op, read back, float64 reference, check,
 * dispose).
 *
 *   pnpm build --filter=@llama-ops/conformance... && node packages/conformance/bench/quick-probe.mjs
 *
 * Options: backend names (default `wasm cpu`), `--cold=N` fresh processes per backend
 * (default 7), `--warm=N` repetitions in this process (default 15), `--cases=N` the N
 * slowest cases in the table (default 12), `--json` one JSON line per backend instead.
 *
 * A/B: `--against=<another checkout's root>` (built) times chooseBackend only, alternating
 * this checkout's kit and the other's: warm in this process (both loaded side by side),
 * cold in fresh processes, so that both see the same machine load.
 *
 * Timings are wall-clock medians; on a loaded machine compare A/B runs made together.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const names = args.filter((a) => !a.startsWith('--'));
const self = fileURLToPath(import.meta.url);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const PHASES = ['build', 'upload', 'op', 'read', 'reference', 'check', 'dispose'];

/** One probe, case by case, with phases: { create, cases: [{ id, ms, phases }] }. */
async function probeByCase(suite, selectBackend, name) {
  const t0 = performance.now();
  const { backend } = await selectBackend(name);
  const create = performance.now() - t0;
  const cases = [];
  // As runQuick: one memo per probe (a kit without CaseMemo, e.g. an older build, has none).
  const memo = suite.CaseMemo ? new suite.CaseMemo() : undefined;
  for (const c of suite.quickCases()) {
    if (!backend.capabilities.dtypes.includes(c.dtype)) continue;
    const phases = {};
    const t = performance.now();
    const r = await suite.runCase(backend, c, { inputCheckLimit: 1 << 18, phases, memo });
    const ms = performance.now() - t;
    if (!r.pass) throw new Error(r.message);
    cases.push({ id: c.id, ms, phases });
  }
  backend.dispose();
  return { create, cases };
}

/** Child: the first probe in this process. `choose`: chooseBackend as users call it; `breakdown`: case by case. */
async function child(name, mode) {
  const t0 = performance.now();
  const suite = await import('@llama-ops/conformance/suite');
  const { selectBackend } = await import('@llama-ops/core');
  const importMs = performance.now() - t0;
  if (mode === 'choose') {
    const c0 = process.cpuUsage();
    const t = performance.now();
    const r = await suite.chooseBackend({ candidates: [name], verify: 'quick', cache: false });
    const ms = performance.now() - t;
    const cpu = process.cpuUsage(c0);
    if (r.name !== name) throw new Error(JSON.stringify(r.report));
    r.backend.dispose();
    return { importMs, chooseMs: ms, cpuMs: (cpu.user + cpu.system) / 1000, cases: r.report.at(-1).cases };
  }
  return { importMs, ...(await probeByCase(suite, selectBackend, name)) };
}



/** The suite module of a checkout (its own core and backends resolve from there). */
function suiteOf(root) {
  return import(pathToFileURL(`${root}/packages/conformance/dist/suite.js`).href);
}

async function chooseOnce(suite, name) {
  const c0 = process.cpuUsage();
  const t = performance.now();
  const r = await suite.chooseBackend({ candidates: [name], verify: 'quick', cache: false });
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(c0);
  if (r.name !== name) throw new Error(JSON.stringify(r.report));
  r.backend.dispose();
  return { ms, cpu: (cpu.user + cpu.system) / 1000 };
}

async function childFrom(root, name) {
  return chooseOnce(await suiteOf(root), name);
}

if (opt('child', null)) {
  const kit = opt('kit', null);
  const out = kit ? await childFrom(kit, opt('child', null)) : await child(opt('child', null), opt('mode', 'choose'));
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

const against = opt('against', null);
if (against) {
  const roots = { new: fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, ''), old: against.replace(/\/$/, '') };
  const coldRuns = Number(opt('cold', 7));
  const warmRuns = Number(opt('warm', 15));
  const suites = { new: await suiteOf(roots.new), old: await suiteOf(roots.old) };
  for (const name of names.length ? names : ['wasm', 'cpu']) {
    const runs = { new: { cold: [], warm: [] }, old: { cold: [], warm: [] } };
    for (let i = 0; i < coldRuns; i++) {
      for (const k of i % 2 ? ['new', 'old'] : ['old', 'new']) {
        runs[k].cold.push(JSON.parse(execFileSync(process.execPath, [self, `--child=${name}`, `--kit=${roots[k]}`], { encoding: 'utf8' })));
      }
    }
    for (const k of ['old', 'new']) await chooseOnce(suites[k], name);
    for (let i = 0; i < warmRuns; i++) {
      for (const k of i % 2 ? ['new', 'old'] : ['old', 'new']) runs[k].warm.push(await chooseOnce(suites[k], name));
    }
    const f = (xs, key) => `${median(xs.map((x) => x[key])).toFixed(1).padStart(6)}`;
    console.log(`\n${name}: chooseBackend, median wall ms (CPU ms, all threads)`);
    for (const k of ['old', 'new']) {
      const r = runs[k];
      console.log(`  ${k} (${roots[k]}): cold ${f(r.cold, 'ms')} (${f(r.cold, 'cpu')}) of ${r.cold.length}; warm ${f(r.warm, 'ms')} (${f(r.warm, 'cpu')}) of ${r.warm.length}`);
    }
    console.log(`  new/old: cold ${(median(runs.new.cold.map((x) => x.ms)) / median(runs.old.cold.map((x) => x.ms))).toFixed(2)}, warm ${(median(runs.new.warm.map((x) => x.ms)) / median(runs.old.warm.map((x) => x.ms))).toFixed(2)}`);
  }
  process.exit(0);
}

const coldRuns = Number(opt('cold', 7));
const warmRuns = Number(opt('warm', 15));
const shown = Number(opt('cases', 12));
const json = args.includes('--json');
const suite = await import('@llama-ops/conformance/suite');
const { selectBackend } = await import('@llama-ops/core');

for (const name of names.length ? names : ['wasm', 'cpu']) {
  const runChild = (mode) => JSON.parse(execFileSync(process.execPath, [self, `--child=${name}`, `--mode=${mode}`], { encoding: 'utf8' }));
  // Cold: alternate the two kinds of fresh process.
  const coldChoose = [];
  const coldBreak = [];
  for (let i = 0; i < coldRuns; i++) {
    coldChoose.push(runChild('choose'));
    coldBreak.push(runChild('breakdown'));
  }
  // Warm: chooseBackend repeated here (after one untimed call), then case by case.
  await suite.chooseBackend({ candidates: [name], cache: false }).then((r) => r.backend.dispose());
  const warmChoose = [];
  const warmCpu = [];
  const warmBreak = [];
  for (let i = 0; i < warmRuns; i++) {
    const c0 = process.cpuUsage();
    const t = performance.now();
    const r = await suite.chooseBackend({ candidates: [name], verify: 'quick', cache: false });
    warmChoose.push(performance.now() - t);
    const cpu = process.cpuUsage(c0);
    warmCpu.push((cpu.user + cpu.system) / 1000);
    r.backend.dispose();
    warmBreak.push(await probeByCase(suite, selectBackend, name));
  }

  const summary = (runs) => {
    const ids = runs[0].cases.map((c) => c.id);
    const perCase = ids.map((id, i) => {
      const phases = Object.fromEntries(PHASES.map((p) => [p, median(runs.map((r) => r.cases[i].phases[p] ?? 0))]));
      return { id, ms: median(runs.map((r) => r.cases[i].ms)), phases };
    });
    const totals = Object.fromEntries(PHASES.map((p) => [p, median(runs.map((r) => r.cases.reduce((a, c) => a + (c.phases[p] ?? 0), 0)))]));
    return {
      create: median(runs.map((r) => r.create)),
      probe: median(runs.map((r) => r.cases.reduce((a, c) => a + c.ms, 0))),
      totals,
      perCase,
    };
  };
  const cold = summary(coldBreak);
  const warm = summary(warmBreak);
  const result = {
    backend: name,
    cases: coldChoose[0].cases,
    cold: {
      choose: median(coldChoose.map((r) => r.chooseMs)),
      cpu: median(coldChoose.map((r) => r.cpuMs)),
      chooseRuns: coldChoose.map((r) => Math.round(r.chooseMs)),
      import: median(coldBreak.map((r) => r.importMs)),
      ...cold,
    },
    warm: { choose: median(warmChoose), cpu: median(warmCpu), chooseRuns: warmChoose.map((x) => Math.round(x)), ...warm },
  };
  if (json) {
    console.log(JSON.stringify(result));
    continue;
  }
  const f = (x) => x.toFixed(1).padStart(6);
  console.log(`\n${name}: ${result.cases} cases`);
  for (const kind of ['cold', 'warm']) {
    const r = result[kind];
    console.log(
      `  ${kind}: chooseBackend ${f(r.choose)} ms, CPU ${r.cpu.toFixed(1)} ms, all threads (wall: median of ${r.chooseRuns.length}: ${r.chooseRuns.join(' ')})` +
        `${kind === 'cold' ? `; import of the kit ${r.import.toFixed(1)} ms (not included)` : ''}`,
    );
    console.log(`        backend creation ${f(r.create)} ms; cases ${f(r.probe)} ms = ${PHASES.map((p) => `${p} ${r.totals[p].toFixed(1)}`).join(', ')}`);
  }
  console.log(`  slowest cases (cold | warm ms; warm phases):`);
  const byWarm = warm.perCase.map((c, i) => ({ ...c, cold: cold.perCase[i].ms })).sort((a, b) => b.ms + b.cold - (a.ms + a.cold));
  for (const c of byWarm.slice(0, shown)) {
    const ph = PHASES.filter((p) => c.phases[p] >= 0.05).map((p) => `${p} ${c.phases[p].toFixed(1)}`).join(', ');
    console.log(`  ${f(c.cold)} | ${f(c.ms)}  ${c.id.padEnd(42)} ${ph}`);
  }
}
