/**
 * Copy between tensors (KV-cache append): `memory.copy` is V8's memmove, at memory
 * bandwidth; a KV append is too small to be worth splitting across threads.
 */
import { CopyParams } from './params';

export function copy(params: usize, start: i32, end: i32, thread: i32): void {
  const src = CopyParams.src(params);
  const dst = CopyParams.dst(params);
  const bytes = CopyParams.bytes(params) as usize;
  memory.copy(dst, src, bytes);
}
