/**
 * The hand-over issue #12 pins, in every GPU project: a caller's own WGSL pass writes a
 * buffer; llama-ops runs RMSNorm on it (wrapped with `fromGPUBuffer`), the caller's projection
 * pass reads our output through `tensor.gpuBuffer` / `gpuOffset` and writes a packed QKV
 * buffer, llama-ops runs RoPE in place on the q and k views of that buffer and GQA on the q/k/v
 * views into another caller buffer at an offset, and the caller's last pass reads that. One
 * device, one chain of submits, no readback until the caller maps its final result, which is
 * checked against the float64 reference of the whole chain.
 */
import { gqa, rmsnorm, rope, type Backend } from '@llama-ops/core';
import { referenceGqa, referenceRmsnorm, referenceRope } from '@llama-ops/conformance/reference';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBackend, webgpuKernelsOf } from '../src/index.js';
import { maxRelError } from './reference.js';

const S = 7; // tokens
const HIDDEN = 64;
const [HQ, HKV, D] = [4, 2, 16];
const QKV = (HQ + 2 * HKV) * D; // 128 values per token: q, then k, then v
const X_OFFSET = 256; // bytes: the caller keeps its hidden states at an offset
const OUT_OFFSET = 512;

/** The caller's values, exact in f32 (no division in the shader): x[s, j] and the projection P[j, c]. */
const xAt = (s: number, j: number) => ((s * 37 + j * 11) % 101) * 0.03125 - 1.5;
const projAt = (j: number, c: number) => (((j * 7 + c * 3) % 11) - 5) * 0.015625;

const CALLER_WRITE_X = `
@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= ${S * HIDDEN}u) { return; }
  let s = i / ${HIDDEN}u;
  let j = i % ${HIDDEN}u;
  x[${X_OFFSET / 4}u + i] = f32((s * 37u + j * 11u) % 101u) * 0.03125 - 1.5;
}`;

// Reads y where llama-ops says it is (element offset as a uniform), writes q | k | v per token.
const CALLER_PROJECT = `
struct Where { y: u32, out: u32 };
@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read_write> qkv: array<f32>;
@group(0) @binding(2) var<uniform> at: Where;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= ${S * QKV}u) { return; }
  let s = i / ${QKV}u;
  let c = i % ${QKV}u;
  var acc = 0.0;
  for (var j = 0u; j < ${HIDDEN}u; j++) {
    acc += y[at.y + s * ${HIDDEN}u + j] * (f32((j * 7u + c * 3u) % 11u) - 5.0) * 0.015625;
  }
  qkv[i] = acc;
}`;

const CALLER_READ_OUT = `
struct Where { y: u32, out: u32 };
@group(0) @binding(0) var<storage, read> o: array<f32>;
@group(0) @binding(1) var<storage, read_write> r: array<f32>;
@group(0) @binding(2) var<uniform> at: Where;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= ${S * HQ * D}u) { return; }
  r[i] = o[at.out + i] * 2.0 + 1.0;
}`;

/** The chain in float64: rmsnorm, the projection, rope in place on q and k, gqa. */
function referenceChain(weight: Float32Array): Float64Array {
  const x = Float64Array.from({ length: S * HIDDEN }, (_, i) => xAt(Math.floor(i / HIDDEN), i % HIDDEN));
  const y = referenceRmsnorm(x, [S, HIDDEN], weight, { eps: 1e-5 });
  const q = new Float64Array(S * HQ * D);
  const k = new Float64Array(S * HKV * D);
  const v = new Float64Array(S * HKV * D);
  for (let s = 0; s < S; s++) {
    for (let c = 0; c < QKV; c++) {
      let acc = 0;
      for (let j = 0; j < HIDDEN; j++) acc += y[s * HIDDEN + j] * projAt(j, c);
      if (c < HQ * D) q[s * HQ * D + c] = acc;
      else if (c < (HQ + HKV) * D) k[s * HKV * D + c - HQ * D] = acc;
      else v[s * HKV * D + c - (HQ + HKV) * D] = acc;
    }
  }
  const positions = 3; // start: positions 3 .. 3 + S - 1
  const qr = referenceRope(q, [1, S, HQ, D], { positions, theta: 10000 });
  const kr = referenceRope(k, [1, S, HKV, D], { positions, theta: 10000 });
  return referenceGqa(qr, kr, v, { q: [1, S, HQ, D], k: [1, S, HKV, D], v: [1, S, HKV, D] });
}

export function handoverSuite(): void {
  let host: Backend;
  let be: Backend;
  let device: GPUDevice;
  beforeAll(async () => {
    // The caller's device (taken from a backend only to get one the same way in Node and browsers).
    host = await createBackend();
    device = webgpuKernelsOf(host)!.ctx.device;
    be = await createBackend({ device });
  }, 60_000);
  afterAll(() => {
    be?.dispose();
    host?.dispose();
  });

  it('a caller pass -> rmsnorm -> caller projection -> rope (in place, packed views) -> gqa -> caller pass: one submit chain, no readback, float64 reference', async () => {
    const usage = GPUBufferUsage.STORAGE;
    const xBuffer = device.createBuffer({ size: X_OFFSET + S * HIDDEN * 4, usage, label: 'caller x' });
    const qkvBuffer = device.createBuffer({ size: S * QKV * 4, usage, label: 'caller qkv' });
    const outBuffer = device.createBuffer({ size: OUT_OFFSET + S * HQ * D * 4, usage, label: 'caller attention out' });
    const result = device.createBuffer({ size: S * HQ * D * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, label: 'caller result' });
    const mapped = device.createBuffer({ size: S * HQ * D * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'caller readback' });
    const where = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'caller offsets' });
    const pipeline = (code: string) => device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
    const pass = (label: string, code: string, buffers: GPUBuffer[], threads: number, extra?: (enc: GPUCommandEncoder) => void) => {
      const p = pipeline(code);
      const enc = device.createCommandEncoder({ label });
      const c = enc.beginComputePass();
      c.setPipeline(p);
      c.setBindGroup(0, device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) }));
      c.dispatchWorkgroups(Math.ceil(threads / 64));
      c.end();
      extra?.(enc);
      device.queue.submit([enc.finish({ label })]);
    };

    // Watch the queue: the order of submits, and any readback before the caller's own.
    const submits: string[] = [];
    const queue = device.queue;
    const submit = queue.submit.bind(queue);
    queue.submit = (buffers: Iterable<GPUCommandBuffer>) => {
      for (const b of buffers) submits.push(b.label || 'llama-ops');
      submit(buffers);
    };
    let maps = 0;
    const mapAsync = GPUBuffer.prototype.mapAsync;
    GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, ...args: Parameters<GPUBuffer['mapAsync']>) {
      maps++;
      return mapAsync.apply(this, args);
    };
    const weight = Float32Array.from({ length: HIDDEN }, (_, j) => 1 + ((j % 5) - 2) * 0.125);
    try {
      pass('caller 1: x', CALLER_WRITE_X, [xBuffer], S * HIDDEN);
      const x = be.fromGPUBuffer(xBuffer, [S, HIDDEN], { offset: X_OFFSET });
      const y = rmsnorm(x, be.tensor(weight, [HIDDEN]), { eps: 1e-5 });
      // Reading gpuBuffer submits the ops queued so far: the caller's next pass runs after them.
      const yBuffer = y.gpuBuffer as GPUBuffer;
      queue.writeBuffer(where, 0, new Uint32Array([(y.gpuOffset as number) / 4, OUT_OFFSET / 4]));
      pass('caller 2: projection', CALLER_PROJECT, [yBuffer, qkvBuffer, where], S * QKV);

      const qkv = be.fromGPUBuffer(qkvBuffer, [1, S, QKV]);
      const q = be.view(qkv, { shape: [1, S, HQ, D], offset: 0, rowStride: QKV });
      const k = be.view(qkv, { shape: [1, S, HKV, D], offset: HQ * D, rowStride: QKV });
      const v = be.view(qkv, { shape: [1, S, HKV, D], offset: (HQ + HKV) * D, rowStride: QKV });
      rope(q, { positions: 3, inPlace: true });
      rope(k, { positions: 3, inPlace: true });
      const o = gqa(q, k, v, { out: be.fromGPUBuffer(outBuffer, [1, S, HQ, D], { offset: OUT_OFFSET }) });
      expect(o.gpuBuffer).toBe(outBuffer);
      expect(o.gpuOffset).toBe(OUT_OFFSET);
      pass('caller 3: reads out', CALLER_READ_OUT, [o.gpuBuffer as GPUBuffer, result, where], S * HQ * D, (enc) =>
        enc.copyBufferToBuffer(result, 0, mapped, 0, S * HQ * D * 4),
      );
      expect(maps, 'a readback happened inside the chain').toBe(0);
    } finally {
      queue.submit = submit;
      GPUBuffer.prototype.mapAsync = mapAsync;
    }
    // Caller, ours (rmsnorm), caller, ours (rope, rope, gqa), caller: in that order.
    const collapsed = submits.filter((s, i) => s !== submits[i - 1]);
    expect(collapsed).toEqual(['caller 1: x', 'llama-ops', 'caller 2: projection', 'llama-ops', 'caller 3: reads out']);

    await mapped.mapAsync(GPUMapMode.READ);
    const r = new Float32Array(mapped.getMappedRange().slice(0));
    mapped.unmap();
    const got = r.map((e) => (e - 1) / 2);
    const ref = referenceChain(weight);
    const maxV = Math.max(1, ...Array.from(ref, Math.abs));
    const err = maxRelError(got, ref, () => maxV);
    expect(err.worst, JSON.stringify(err)).toBeLessThanOrEqual(1e-4);
    for (const b of [xBuffer, qkvBuffer, outBuffer, result, mapped, where]) b.destroy();
  });
}
