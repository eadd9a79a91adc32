import { inject } from 'vitest';

/** The packed tarball of a public package; fails the test when it could not be packed. */
export function tarballOf(name: string): string {
  const file = inject('tarballs')[name];
  if (!file) throw new Error(`${name} was not packed: it has no dist/ (did its build fail? run pnpm build)`);
  return file;
}
