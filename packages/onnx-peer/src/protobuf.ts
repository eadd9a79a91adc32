/**
 * A minimal protobuf writer: just the wire types ONNX's ModelProto needs (varint,
 * length-delimited, fixed32). Hand-written so building a model needs no schema
 * compilation and no Python; see `onnx.ts` for the message layouts.
 */

/** Accumulates one protobuf message. Nested messages are encoded separately and embedded as bytes. */
export class ProtoWriter {
  #chunks: number[] = [];

  /** Field key: `(field << 3) | wireType`. */
  #key(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }

  #varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.#chunks.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#chunks.push(Number(v));
  }

  /** int32/int64/enum/bool field (negative values as 10-byte two's complement, as protobuf does). */
  int(field: number, value: number | bigint): this {
    this.#key(field, 0);
    this.#varint(value);
    return this;
  }

  /** float field (wire type 5, little-endian IEEE single). */
  float(field: number, value: number): this {
    this.#key(field, 5);
    const b = new Uint8Array(new Float32Array([value]).buffer);
    for (const x of b) this.#chunks.push(x);
    return this;
  }

  /** bytes / embedded message field. */
  bytes(field: number, value: Uint8Array): this {
    this.#key(field, 2);
    this.#varint(value.length);
    for (let i = 0; i < value.length; i++) this.#chunks.push(value[i]);
    return this;
  }

  /** string field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** Packed repeated int64 field. */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.#varint(v);
    return this.bytes(field, inner.finish());
  }

  /** Packed repeated float field. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    return this.bytes(field, new Uint8Array(Float32Array.from(values).buffer));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#chunks);
  }
}
