/**
 * Uniform layouts: one named description per kernel emits both the WGSL `struct` the
 * shader declares and the writer that packs the values a dispatch passes, so a field is
 * added in one place (a line in the schema, then `u.<name>` in the WGSL; TypeScript then
 * asks for its value at every writer call) and the two sides cannot drift apart.
 *
 * Offsets follow WGSL's layout rules for host-shareable structs (WGSL spec, "Memory
 * Layout"): a member starts at the next multiple of its alignment, the struct's alignment
 * is its largest member's, and its size is rounded up to that alignment. Supported
 * members are 32-bit scalars and vectors of them, which the uniform address space takes
 * without extra padding rules (those apply to arrays and nested structs only):
 *
 * | type | align | size |
 * |---|---|---|
 * | `u32`, `i32`, `f32` | 4 | 4 |
 * | `vec2<S>` | 8 | 8 |
 * | `vec3<S>` | 16 | 12 |
 * | `vec4<S>` | 16 | 16 |
 *
 * Members keep their declared order (no reordering): a vector after an odd number of
 * scalars gets padding in front of it, which the writer leaves zero.
 *
 * Learnt from onnxruntime-web's `registerUniforms` / `ProgramUniform`, where the struct
 * names and the values are two positional lists; here the values are keyed by name.
 */

/** A 32-bit scalar a uniform struct may hold. */
export type UniformScalar = 'u32' | 'i32' | 'f32';
/** A uniform member type: a 32-bit scalar or a vector of 2-4 of them. */
export type UniformType = UniformScalar | `vec${2 | 3 | 4}<${UniformScalar}>`;
/** Member names (WGSL identifiers, used as `u.<name>` in the shader) to their types, in struct order. */
export type UniformSchema = Readonly<Record<string, UniformType>>;

/** The value a writer takes for a member of type `T`: a number, or one number per vector component. */
export type UniformValue<T extends UniformType> = T extends UniformScalar
  ? number
  : T extends `vec2<${string}>`
    ? readonly [number, number]
    : T extends `vec3<${string}>`
      ? readonly [number, number, number]
      : readonly [number, number, number, number];

/** Every member of schema `S` by name, with its value. */
export type UniformValues<S extends UniformSchema> = { readonly [K in keyof S]: UniformValue<S[K]> };

/** The values a layout's writer takes: `UniformValuesOf<typeof ROPE_UNIFORMS>`. */
export type UniformValuesOf<L> = L extends UniformLayout<infer S> ? UniformValues<S> : never;

/** Where one member lives in the buffer. */
export interface UniformMember {
  readonly name: string;
  readonly type: UniformType;
  readonly scalar: UniformScalar;
  /** Vector components (1 for a scalar). */
  readonly components: number;
  /** Byte offset from the start of the struct. */
  readonly offset: number;
  readonly align: number;
  readonly size: number;
}

/**
 * Bytes of every uniform buffer the command stream hands out (context.ts): a layout
 * larger than this is refused when it is defined, at module load.
 */
export const UNIFORM_BUFFER_BYTES = 256;

const WGSL_IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;

function memberLayout(type: UniformType): { scalar: UniformScalar; components: number; align: number; size: number } {
  const m = /^vec([234])<(u32|i32|f32)>$/.exec(type);
  if (!m) return { scalar: type as UniformScalar, components: 1, align: 4, size: 4 };
  const components = Number(m[1]);
  return { scalar: m[2] as UniformScalar, components, align: components === 2 ? 8 : 16, size: components * 4 };
}

const roundUp = (n: number, multiple: number): number => Math.ceil(n / multiple) * multiple;

/** A uniform struct: its WGSL declaration and a writer for its values. Build with {@link defineUniforms}. */
export class UniformLayout<S extends UniformSchema = UniformSchema> {
  /** The WGSL struct name (`struct <name> { ... }`). */
  readonly name: string;
  readonly members: readonly UniformMember[];
  /** The struct's size by WGSL's rules (a multiple of its alignment). */
  readonly structBytes: number;
  /** Bytes {@link pack} writes: the struct size rounded up to 16, at least 16. */
  readonly bufferBytes: number;
  /** `struct <name> { a: u32, b: vec2<f32>, ... };` */
  readonly wgsl: string;

  constructor(name: string, schema: S) {
    if (!WGSL_IDENTIFIER.test(name)) throw new Error(`uniforms: struct name '${name}' is not a WGSL identifier`);
    let end = 0;
    let structAlign = 4;
    const members: UniformMember[] = [];
    for (const [member, type] of Object.entries(schema)) {
      if (!WGSL_IDENTIFIER.test(member)) throw new Error(`uniforms: ${name}.${member} is not a WGSL identifier`);
      const d = memberLayout(type);
      const offset = roundUp(end, d.align);
      members.push({ name: member, type, ...d, offset });
      end = offset + d.size;
      structAlign = Math.max(structAlign, d.align);
    }
    if (members.length === 0) throw new Error(`uniforms: ${name} has no members (WGSL structs need one)`);
    this.name = name;
    this.members = members;
    this.structBytes = roundUp(end, structAlign);
    this.bufferBytes = Math.max(16, roundUp(this.structBytes, 16));
    if (this.bufferBytes > UNIFORM_BUFFER_BYTES) {
      throw new Error(`uniforms: ${name} takes ${this.bufferBytes} bytes, more than the ${UNIFORM_BUFFER_BYTES}-byte uniform buffer`);
    }
    this.wgsl = `struct ${name} {\n${members.map((m) => `  ${m.name}: ${m.type},`).join('\n')}\n};`;
  }

  /**
   * The buffer contents for `values` ({@link bufferBytes} bytes, little-endian, padding
   * zero). Throws on a missing value, a non-integer or out-of-range u32/i32, or a
   * vector with the wrong number of components: a wrong uniform would otherwise only
   * show up as a wrong result.
   */
  pack(values: UniformValues<S>): ArrayBuffer {
    const data = new ArrayBuffer(this.bufferBytes);
    const view = new DataView(data);
    const given = values as Readonly<Record<string, number | readonly number[] | undefined>>;
    for (const m of this.members) {
      const v = given[m.name];
      if (m.components === 1) {
        if (typeof v !== 'number') throw new Error(`uniforms: ${this.name}.${m.name} (${m.type}) needs a number, got ${String(v)}`);
        this.#set(view, m, m.offset, v);
      } else {
        if (!Array.isArray(v) || v.length !== m.components) {
          throw new Error(`uniforms: ${this.name}.${m.name} (${m.type}) needs ${m.components} numbers, got ${String(v)}`);
        }
        for (let c = 0; c < m.components; c++) this.#set(view, m, m.offset + 4 * c, v[c] as number);
      }
    }
    return data;
  }

  #set(view: DataView, m: UniformMember, offset: number, v: number): void {
    if (m.scalar === 'f32') {
      view.setFloat32(offset, v, true);
      return;
    }
    const [lo, hi] = m.scalar === 'u32' ? [0, 0xffffffff] : [-0x80000000, 0x7fffffff];
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`uniforms: ${this.name}.${m.name} = ${v} does not fit a ${m.scalar}`);
    if (m.scalar === 'u32') view.setUint32(offset, v, true);
    else view.setInt32(offset, v, true);
  }
}

/**
 * One kernel's uniform struct, members in the order given.
 * @example
 * const COPY_UNIFORMS = defineUniforms('Params', { count: 'u32', srcOffset: 'u32', dstOffset: 'u32' });
 * const wgsl = `${COPY_UNIFORMS.wgsl}\n@group(0) @binding(2) var<uniform> u: Params;`;
 * ctx.uniforms(COPY_UNIFORMS, { count, srcOffset, dstOffset });
 */
export function defineUniforms<const S extends UniformSchema>(name: string, schema: S): UniformLayout<S> {
  return new UniformLayout(name, schema);
}
