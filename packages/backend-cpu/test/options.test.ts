/**
 * createBackend's options are checked, not guessed: the cpu backend takes none, so any key is a
 * typed ValueError naming it (and saying so), and so is an options argument that is not an object.
 */
import { describe, expect, it } from 'vitest';
import { createBackend } from '../src/index.js';

describe('cpu createBackend options', () => {
  it.each([[{ thread: 1 }, 'options.thread'], [{ threads: 2 }, 'options.threads'], [{ minParallelWork: '5' }, 'options.minParallelWork']])(
    'an unknown key is a ValueError naming it: %j',
    async (options, argument) => {
      const err = await createBackend(options as never).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'ValueError', code: 'E_VALUE', op: 'cpu.createBackend', argument });
      expect((err as Error).message).toContain('expected no options (cpu.createBackend takes none)');
    },
  );

  it('a non-object is a ValueError; {} and undefined are fine', async () => {
    await expect(createBackend(5 as never)).rejects.toMatchObject({ code: 'E_VALUE', argument: 'options' });
    await expect(createBackend({ threads: undefined } as never)).resolves.toMatchObject({ name: 'cpu' });
    (await createBackend({})).dispose();
    (await createBackend()).dispose();
  });
});
