/** A uniform layout with every member type, ordered so each WGSL alignment rule shows up. */
import { defineUniforms } from '../src/uniforms.js';

export const MIXED = defineUniforms('Mixed', {
  count: 'u32', //          0
  origin: 'vec2<f32>', //   8: vec2 aligns to 8, so 4 bytes of padding before it
  delta: 'i32', //         16
  color: 'vec3<f32>', //   32: vec3 aligns to 16
  weight: 'f32', //        44: fills the 4 bytes a vec3 leaves (its size is 12)
  box: 'vec4<u32>', //     48
  offset: 'vec3<i32>', //  64
  last: 'u32', //          76
});
