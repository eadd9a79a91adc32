/**
 * `@llama-ops/bench`: the benchmark harness of llama-ops. Measures RMSNorm, add+RMSNorm,
 * RoPE and GQA on Llama shapes on our backends (cpu, wasm, webgpu) and on onnxruntime-web /
 * onnxruntime-node in the same process, against the copy bandwidth of the same bytes, and
 * renders the result as markdown, JSON and an SVG chart. `llama-ops bench` drives it.
 *
 * @example
 * import { runBench, formatMarkdown, renderSvg } from '@llama-ops/bench';
 * const report = await runBench({ backends: ['cpu', 'wasm'], peers: ['ort-web'], filter: 'rmsnorm' });
 * console.log(formatMarkdown(report));
 *
 * @packageDocumentation
 */
export { runBench, machineInfo, DEFAULT_ROW_TIMEOUT_MS, DEFAULT_TIME_BUDGET_MS, QUICK_TIME_BUDGET_MS, type BenchOptions, type BenchProgress } from './bench.js';
export { BACKEND_NAMES } from './backends.js';
export { PEER_NAMES } from './peers.js';
export {
  ROWS,
  selectRows,
  makeInputs,
  randomValues,
  type BenchOp,
  type BenchRow,
  type GqaRowParams,
  type RmsnormRowParams,
  type RopeRowParams,
  type RowInputs,
  type RowParams,
  type TargetSpec,
} from './rows.js';
export {
  REPORT_SCHEMA,
  describeTarget,
  evaluateTarget,
  measured,
  rowRatios,
  rowReport,
  throughput,
  type BenchReport,
  type ContenderInfo,
  type ContenderResult,
  type CopyBaseline,
  type MachineInfo,
  type Measured,
  type PeerName,
  type Ratio,
  type RowReport,
  type Skipped,
  type TargetResult,
} from './report.js';
export {
  attentionFlops,
  checksum,
  gbPerSecond,
  gflopPerSecond,
  maxAbsDiff,
  median,
  quantile,
  speedup,
  summarize,
  visibleKeys,
  type TimingStats,
} from './stats.js';
export { measure, timingPlan, type TimedCall, type TimingPlan } from './timing.js';
export { columnName, formatBytes, formatMarkdown, formatMs, formatNumber, formatPercent, formatRatio, formatStatus } from './markdown.js';
export { escapeXml, logRange, renderSvg, type SvgOptions } from './svg.js';
export { formatJson, writeReport } from './output.js';
export { parseArgs, USAGE, type CliOptions } from './args.js';
