/**
 * "Did you mean" for mistyped commands, flags, ops and backend names: the closest known
 * word by edit distance (a swap of two neighbouring letters counts as one edit), if it is
 * close enough to be a typo rather than a different word.
 */

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The known word `word` was most likely meant to be, or undefined. A candidate qualifies
 * when it is within a third of its length in edits (at least 1, at most 3), or when `word`
 * is a prefix of it of 3 or more characters (`--kv` for `--kv-heads`, `bench` for `benchmark`).
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const lc = c.toLowerCase();
    if (lc === w) return c;
    const distance = editDistance(w, lc);
    const limit = Math.min(3, Math.max(1, Math.floor(lc.length / 3)));
    // A unique-looking prefix is as good as a one-letter typo.
    const score = distance <= limit ? distance : w.length >= 3 && lc.startsWith(w) ? 1.5 : Infinity;
    if (score < bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return best;
}

/** ` (did you mean 'X'?)`, or '' when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>, quote: (s: string) => string = (s) => `'${s}'`): string {
  const s = suggest(word, candidates);
  return s === undefined ? '' : ` (did you mean ${quote(s)}?)`;
}
