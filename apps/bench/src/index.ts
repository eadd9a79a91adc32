/**
 * `@llama-ops/bench`: the benchmark harness of llama-ops. Measures RMSNorm, add+RMSNorm,
 * RoPE and GQA on Llama shapes on our backends (cpu, wasm, webgpu) and on onnxruntime-web /
 * onnxruntime-node in the same process, against the copy bandwidth of the same bytes, and
 * renders the result as markdown, JSON and an SVG chart. `llama-ops bench` drives it.
 * With `size: 'gpu'` it measures the GPU-sized rows (f32 and f16) on webgpu and on
 * onnxruntime-web's WebGPU EP, on one shared device, against the device copy bandwidth.
 *
 * @example
 * import { runBench, formatMarkdown, renderSvg } from '@llama-ops/bench';
 * const report = await runBench({ backends: ['cpu', 'wasm'], peers: ['ort-web'], filter: 'rmsnorm' });
 * console.log(formatMarkdown(report));
 *
 * @packageDocumentation
 */
export {
  evaluateLongTargets,
  formatLongMarkdown,
  kvBytesOf,
  LONG_COLUMNS,
  LONG_SCHEMA,
  LONG_THREADS,
  LONG_TIME_BUDGET_MS,
  ReadPass,
  runLongDecode,
  wasmMemoryReason,
  type LongOptions,
  type LongProgress,
  type LongReport,
  type LongResult,
  type LongTarget,
} from './long.js';
export { runBench, machineInfo, DEFAULT_ROW_TIMEOUT_MS, DEFAULT_TIME_BUDGET_MS, QUICK_TIME_BUDGET_MS, type BenchOptions, type BenchProgress } from './bench.js';
export { BACKEND_NAMES, defaultBackends } from './backends.js';
export { PEER_NAMES, KNOWN_PEERS, defaultPeers } from './peers.js';
export { ORT_WEBGPU_IDS } from './peer-webgpu.js';
export {
  sharedGpu,
  measureDeviceCopy,
  timePasses,
  SOFTWARE_ADAPTER_LABEL,
  DEVICE_COPY_BYTES,
  SOFTWARE_COPY_BYTES,
  type SharedGpu,
  type DeviceCopy,
} from './gpu.js';
export {
  KIT_SCHEMA,
  KIT_THREADS,
  combineKitReports,
  combineKitDirectory,
  formatKitMarkdown,
  renderKitSvg,
  type KitReport,
  type KitContender,
  type ScalingRow,
  type ScalingTarget,
  type MissingRun,
} from './kit.js';
export { F16_TOLERANCE, F32_TOLERANCE, checkTolerance, rowReference, loadReference, spread, toleranceOf, type RowReference, type ToleranceCheck } from './verify.js';
export {
  ROWS,
  GPU_ROWS,
  GPU_QUICK_ROWS,
  LONG_KEYS,
  LONG_LAYOUTS,
  LONG_QUICK_KEYS,
  longRows,
  BENCH_SIZES,
  rowsOfSize,
  raggedLengths,
  selectRows,
  makeInputs,
  randomValues,
  tensorValues,
  roundToF16,
  type BenchDType,
  type BenchSize,
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
  type Failed,
  type GpuInfo,
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
