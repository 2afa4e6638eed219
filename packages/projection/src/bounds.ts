// Binary searches over sorted Int32 keys, shared by the sample (sample.ts) and the sorted-pool scan (sortedscan.ts).

/** First index of s (ascending) holding a key > x. */
export function upperBound(s: Int32Array, x: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index of s (ascending) holding a key >= x. */
export function lowerBound(s: Int32Array, x: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
