/**
 * Copy between tensors (KV-cache append): `memory.copy` is V8's memmove, at memory
 * bandwidth; a KV append is too small to be worth splitting across threads.
 */
import { P_COPY_SRC, P_COPY_DST, P_COPY_BYTES } from './params';

export function copy(params: usize, start: i32, end: i32, thread: i32): void {
  const src = load<u32>(params, P_COPY_SRC) as usize;
  const dst = load<u32>(params, P_COPY_DST) as usize;
  const bytes = load<u32>(params, P_COPY_BYTES) as usize;
  memory.copy(dst, src, bytes);
}
