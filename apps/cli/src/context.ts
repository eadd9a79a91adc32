/** What every command gets: output streams, colour and the `--json` switch. */
import { colourEnabled, makePaint, type Paint } from './ansi.js';
import { bool, type ParsedValues } from './args.js';

export interface Context {
  /** `--json`: stdout carries exactly one JSON document and nothing else. */
  json: boolean;
  /** Colours for stdout. */
  paint: Paint;
  /** Colours for stderr. */
  errPaint: Paint;
  /** Write a line to stdout (suppressed under `--json`). */
  say(line?: string): void;
  /** Write a line to stderr (notes and warnings; never under `--json` unless `always`). */
  note(line: string, always?: boolean): void;
  /** Print the JSON result on stdout. */
  emitJson(value: unknown): void;
}

export function makeContext(values: ParsedValues): Context {
  const json = bool(values, 'json') === true;
  const colourOff = bool(values, 'color') === false;
  const paint = makePaint(!json && colourEnabled(process.stdout, colourOff));
  const errPaint = makePaint(colourEnabled(process.stderr, colourOff));
  return {
    json,
    paint,
    errPaint,
    say(line = '') {
      if (!json) process.stdout.write(`${line}\n`);
    },
    note(line, always = false) {
      if (!json || always) process.stderr.write(`${line}\n`);
    },
    emitJson(value) {
      process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
    },
  };
}

/** JSON cannot hold Infinity/NaN or typed arrays; write them in a readable form. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}
