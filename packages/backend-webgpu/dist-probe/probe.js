// src/kernels/gqa-common.ts
var NEG = "-3.0e38";
var vec4Loads = (v) => v.headDim % 4 === 0 && v.headDimV % 4 === 0;
var DECLS = {
  q: (a) => `var<storage, read> q: ${a};`,
  k: (a) => `var<storage, read> k: ${a};`,
  v: (a) => `var<storage, read> v: ${a};`,
  out: () => "var<storage, read_write> out: array<T>;",
  // [kvLength per batch..., queryOffset per batch...]
  lens: () => "var<storage, read> lens: array<i32>;",
  u: () => "var<uniform> u: Params;",
  mask: () => "var<storage, read> mask: array<T>;",
  sinks: () => "var<storage, read> sinks: array<T>;",
  // Split-KV partials: o [groups, R, DV4] then (m, l, -, -) [groups, R] from u.ml_base.
  part: () => "var<storage, read_write> part: array<vec4<f32>>;"
};
function gqaBindingNames(v, names) {
  return names.filter((n) => (n !== "mask" || v.mask) && (n !== "sinks" || v.sinks));
}
function gqaPrelude(v, names) {
  const vec = vec4Loads(v);
  const D4 = Math.ceil(v.headDim / 4);
  const DV4 = Math.ceil(v.headDimV / 4);
  const arr = vec ? "array<vec4<T>>" : "array<T>";
  const load = (name, dim, d4) => !names.includes(name) ? "" : vec ? `fn load_${name}(row: u32, c: u32) -> vec4<f32> { return vec4<f32>(${name}[row * ${d4}u + c]); }` : `fn load_${name}(row: u32, c: u32) -> vec4<f32> {
  let o = row * ${dim}u + c * 4u;
  var r = vec4<f32>(0.0);
  for (var e = 0u; e < 4u; e++) { if (c * 4u + e < ${dim}u) { r[e] = f32(${name}[o + e]); } }
  return r;
}`;
  const decls = names.map((n, i) => `@group(0) @binding(${i}) ${DECLS[n](arr)}`).join("\n");
  const hasMask = names.includes("mask");
  const hasSinks = names.includes("sinks");
  return `${v.dtype === "f16" ? "enable f16;\n" : ""}alias T = ${v.dtype};
const D = ${v.headDim}u;
const DV = ${v.headDimV}u;
const D4 = ${D4}u;
const DV4 = ${DV4}u;
const NEG = ${NEG};
struct Params {
  batch: u32, seq_q: u32, seq_kv: u32, hq: u32,
  hkv: u32, group: u32, scale: f32, causal: u32,
  window: i32, softcap: f32, mask_b: u32, mask_h: u32,
  a: u32, b: u32, c: u32, groups: u32,
  ml_base: u32, pad0: u32, pad1: u32, pad2: u32,
};
${decls}
${load("q", v.headDim, D4)}
${load("k", v.headDim, D4)}
${load("v", v.headDimV, DV4)}
// tanh from exp(-2|x|): never Inf/Inf, unlike exp(2x)-based tanh on some drivers.
fn cap(s: f32) -> f32 {
  if (u.softcap == 0.0) { return s; }
  let x = s / u.softcap;
  let a = abs(x);
  let e = exp(-2.0 * a);
  let t = select((1.0 - e) / (1.0 + e), a - a * a * a / 3.0, a < 0.004);
  return u.softcap * sign(x) * t;
}
fn mask_at(b: u32, h: u32, i: u32, j: u32) -> f32 {
  ${hasMask ? "return f32(mask[b * u.mask_b + h * u.mask_h + i * u.seq_kv + j]);" : "return 0.0;"}
}
// Key j (already < the batch's kvLength) is visible from absolute position p.
fn visible(p: i32, j: u32) -> bool {
  let jj = i32(j);
  return (u.causal == 0u || jj <= p) && (u.window == 0 || jj > p - u.window);
}
fn sink_of(h: u32) -> f32 {
  ${hasSinks ? "return f32(sinks[h]);" : "return NEG;"}
}
`;
}

// src/kernels/flash-attention.ts
var BINDINGS = ["q", "k", "v", "out", "lens", "u", "mask", "sinks"];
function flashAttentionWgsl(v) {
  const wg = v.bq * v.gw;
  return `${gqaPrelude(v, gqaBindingNames(v, BINDINGS))}
const BQ = ${v.bq}u;
const GW = ${v.gw}u;
const BK = ${v.bk}u;
var<workgroup> kt: array<vec4<f32>, ${v.bk * Math.ceil(v.headDim / 4)}>;
var<workgroup> vt: array<vec4<f32>, ${v.bk * Math.ceil(v.headDimV / 4)}>;

@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  var g = wid.x + wid.y * nwg.x;
  if (g >= u.groups) { return; }
  // g = ((b * hkv + kvh) * qtiles + qtile) * hchunks + hchunk
  let hchunk = g % u.b; g = g / u.b;
  let qtile = g % u.a; g = g / u.a;
  let kvh = g % u.hkv;
  let b = g / u.hkv;

  let qi = qtile * BQ + lid / GW;
  let hg = hchunk * GW + lid % GW;      // head within the group
  let h = kvh * u.group + hg;
  let valid = qi < u.seq_q && hg < u.group;

  let kvlen = lens[b];
  let qo = lens[u.batch + b];
  let p = qo + i32(qi);
  // Keys any row of this workgroup can see: [lo, hi).
  let pmax = qo + i32(min(qtile * BQ + BQ, u.seq_q)) - 1;
  let pmin = qo + i32(qtile * BQ);
  var hi = kvlen;
  if (u.causal != 0u) { hi = min(hi, max(pmax + 1, 0)); }
  var lo = 0;
  if (u.window > 0) { lo = max(0, pmin - u.window + 1); }

  var qv: array<vec4<f32>, D4>;
  var o: array<vec4<f32>, DV4>;
  let qrow = select(0u, (b * u.seq_q + qi) * u.hq + h, valid);
  for (var c = 0u; c < D4; c++) { qv[c] = load_q(qrow, c) * u.scale; }
  for (var c = 0u; c < DV4; c++) { o[c] = vec4<f32>(0.0); }
  var m = NEG;
  var l = 0.0;
  ${v.sinks ? "if (valid) { m = sink_of(h); l = 1.0; }" : ""}

  for (var t0 = lo; t0 < hi; t0 += i32(BK)) {
    // Load the K/V tile once for every query row of the workgroup; slots past hi stay 0.
    for (var e = lid; e < BK * D4; e += ${wg}u) {
      let j = t0 + i32(e / D4);
      kt[e] = select(vec4<f32>(0.0), load_k((b * u.seq_kv + u32(min(j, hi - 1))) * u.hkv + kvh, e % D4), j < hi);
    }
    for (var e = lid; e < BK * DV4; e += ${wg}u) {
      let j = t0 + i32(e / DV4);
      vt[e] = select(vec4<f32>(0.0), load_v((b * u.seq_kv + u32(min(j, hi - 1))) * u.hkv + kvh, e % DV4), j < hi);
    }
    workgroupBarrier();
    var s: array<f32, BK>;
    var tmax = NEG;
    for (var kk = 0u; kk < BK; kk++) {
      let j = u32(t0) + kk;
      var acc = 0.0;
      for (var c = 0u; c < D4; c++) { acc += dot(qv[c], kt[kk * D4 + c]); }
      let sc = cap(acc) + mask_at(b, h, qi, j);
      let vis = valid && i32(j) < hi && visible(p, j) && sc > NEG;
      s[kk] = select(NEG, sc, vis);
      tmax = max(tmax, s[kk]);
    }
    let mn = max(m, tmax);
    if (mn > NEG) {
      let alpha = exp(m - mn);
      l *= alpha;
      for (var c = 0u; c < DV4; c++) { o[c] *= alpha; }
      for (var kk = 0u; kk < BK; kk++) {
        let pk = select(0.0, exp(s[kk] - mn), s[kk] > NEG);
        l += pk;
        for (var c = 0u; c < DV4; c++) { o[c] += pk * vt[kk * DV4 + c]; }
      }
      m = mn;
    }
    workgroupBarrier();
  }

  if (!valid) { return; }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  let obase = ((b * u.seq_q + qi) * u.hq + h) * DV;
  for (var c = 0u; c < DV4; c++) {
    let r = o[c] * inv;
    for (var e = 0u; e < 4u; e++) {
      if (c * 4u + e < DV) { out[obase + c * 4u + e] = T(r[e]); }
    }
  }
}
`;
}

// src/kernels/flash-decoding.ts
var PASS1 = ["q", "k", "v", "lens", "u", "mask", "part"];
var WG = 64;
var CHUNK = 128;
function flashDecodingWgsl(v) {
  const R = v.rows;
  const D4 = Math.ceil(v.headDim / 4);
  const DV4 = Math.ceil(v.headDimV / 4);
  const parts = Math.max(1, Math.floor(WG / DV4));
  const shared = Math.max(R * D4, parts * R * DV4);
  return `${gqaPrelude(v, gqaBindingNames(v, PASS1))}
const R = ${R}u;
const CHUNK = ${CHUNK}u;
const PARTS = ${parts}u;
var<workgroup> qs: array<vec4<f32>, ${shared}>;
var<workgroup> sc: array<f32, ${R * CHUNK}>;
var<workgroup> row_m: array<f32, ${R}>;
var<workgroup> row_l: array<f32, ${R}>;

@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= u.groups) { return; }
  // g = (b * hkv + kvh) * splits + split
  let split = g % u.a;
  let bk = g / u.a;
  let kvh = bk % u.hkv;
  let b = bk / u.hkv;
  let rows = u.c;                      // seq_q * group
  let kvlen = lens[b];
  let qo = lens[u.batch + b];
  let start = i32(u.b) + i32(split * CHUNK);
  let end = min(start + i32(CHUNK), kvlen);

  for (var e = lid; e < R * D4; e += ${WG}u) {
    let r = e / D4;
    let qi = r / u.group;
    let h = kvh * u.group + r % u.group;
    qs[e] = select(vec4<f32>(0.0), load_q(min((b * u.seq_q + qi) * u.hq + h, u.batch * u.seq_q * u.hq - 1u), e % D4) * u.scale, r < rows);
  }
  workgroupBarrier();

  // Scores: thread -> keys, each key row read once for all R rows.
  for (var kk = lid; kk < CHUNK; kk += ${WG}u) {
    let j = start + i32(kk);
    var acc: array<f32, R>;
    for (var r = 0u; r < R; r++) { acc[r] = 0.0; }   // explicit: one declaration per loop trip
    if (j < end) {
      let krow = (b * u.seq_kv + u32(j)) * u.hkv + kvh;
      for (var c = 0u; c < D4; c++) {
        let kv = load_k(krow, c);
        for (var r = 0u; r < R; r++) { acc[r] += dot(qs[r * D4 + c], kv); }
      }
    }
    for (var r = 0u; r < R; r++) {
      let qi = r / u.group;
      let h = kvh * u.group + r % u.group;
      var s = NEG;
      if (j < end && r < rows) {
        let x = cap(acc[r]) + mask_at(b, h, qi, u32(j));
        if (visible(qo + i32(qi), u32(j)) && x > NEG) { s = x; }
      }
      sc[r * CHUNK + kk] = s;
    }
  }
  workgroupBarrier();

  // Per-row max and exp-sum over the chunk.
  if (lid < R) {
    var m = NEG;
    for (var kk = 0u; kk < CHUNK; kk++) { m = max(m, sc[lid * CHUNK + kk]); }
    row_m[lid] = m;
  }
  workgroupBarrier();
  for (var e = lid; e < R * CHUNK; e += ${WG}u) {
    let s = sc[e];
    sc[e] = select(0.0, exp(s - row_m[e / CHUNK]), s > NEG);
  }
  workgroupBarrier();
  if (lid < R) {
    var l = 0.0;
    for (var kk = 0u; kk < CHUNK; kk++) { l += sc[lid * CHUNK + kk]; }
    row_l[lid] = l;
  }

  // o[r][c] = sum_k p[r][k] * v[k][c]: thread -> (column c, key subset part).
  let c = lid % DV4;
  let kpart = lid / DV4;
  var accv: array<vec4<f32>, R>;
  if (kpart < PARTS) {
    for (var kk = kpart; kk < CHUNK; kk += PARTS) {
      let j = start + i32(kk);
      if (j >= end) { break; }
      let vv = load_v((b * u.seq_kv + u32(j)) * u.hkv + kvh, c);
      for (var r = 0u; r < R; r++) { accv[r] += sc[r * CHUNK + kk] * vv; }
    }
  }
  workgroupBarrier();   // everyone is done with qs: reuse it for the partial sums
  if (kpart < PARTS) {
    for (var r = 0u; r < R; r++) { qs[(kpart * R + r) * DV4 + c] = accv[r]; }
  }
  workgroupBarrier();
  for (var e = lid; e < R * DV4; e += ${WG}u) {
    let r = e / DV4;
    let cc = e % DV4;
    var t = vec4<f32>(0.0);
    for (var pp = 0u; pp < PARTS; pp++) { t += qs[(pp * R + r) * DV4 + cc]; }
    part[(g * R + r) * DV4 + cc] = t;
  }
  if (lid < R) {
    part[u.ml_base + g * R + lid] = vec4<f32>(row_m[lid], row_l[lid], 0.0, 0.0);
  }
}
`;
}
export {
  flashAttentionWgsl,
  flashDecodingWgsl
};
//# sourceMappingURL=probe.js.map