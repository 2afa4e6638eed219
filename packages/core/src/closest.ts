/**
 * Edit distance between two names: the fewest insertions, deletions,
 * substitutions and swaps of two adjacent letters that turn one into the
 * other (Damerau 1964, "A technique for computer detection and correction of
 * spelling errors", in its optimal-string-alignment form: no substring is
 * edited twice). Damerau found these four edits behind 80% of misspellings;
 * the swap makes `rnu` one edit from `run` instead of two. Case is ignored, so
 * `MLP` is as close to `mlp` as it looks.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  // Three rows of the dynamic-programming table: the swap looks two rows back.
  let before = new Array<number>(t.length + 1).fill(0);
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current.push(d);
    }
    before = previous;
    previous = current;
  }
  return previous[t.length]!;
}

/** The valid names, closest to `name` first (by `editDistance`), ties in alphabetical order. */
export function closestFirst(name: string, valid: readonly string[]): string[] {
  const distance = new Map(valid.map((v) => [v, editDistance(name, v)]));
  return [...valid].sort((x, y) => distance.get(x)! - distance.get(y)! || (x < y ? -1 : x > y ? 1 : 0));
}
