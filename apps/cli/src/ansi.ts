/**
 * Tiny ANSI helpers (no chalk). Colour is on only when the stream is a TTY and neither
 * `NO_COLOR` (https://no-color.org) nor `--no-color` turned it off; `FORCE_COLOR=1`
 * forces it on (for screenshots and tests of the colour path).
 */

/** Whether a stream should get ANSI escapes. */
export function colourEnabled(stream: NodeJS.WriteStream, flagOff = false): boolean {
  if (flagOff) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0') return true;
  return stream.isTTY === true && process.env.TERM !== 'dumb';
}

/** A set of colour functions bound to one on/off decision. */
export interface Paint {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
}

export function makePaint(enabled: boolean): Paint {
  const wrap = (open: number, close: number) => (s: string) => (enabled ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    magenta: wrap(35, 39),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC (\x1b) starts the ANSI sequences this strips
const ANSI_PATTERN = /\x1b\[[0-9;]*[A-Za-z]/g;

/** `s` without ANSI escapes. */
export function stripAnsi(s: string): string {
  return s.replace(ANSI_PATTERN, '');
}

/** Printed width of `s` (ANSI escapes excluded; every code point counts as one column). */
export function visibleWidth(s: string): number {
  return [...stripAnsi(s)].length;
}
