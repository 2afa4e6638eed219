import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closestFirst, editDistance } from './closest.js';
import { unknownNameError } from './errors.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['magnitud', 'magnitude', 1],
    ['hiden', 'hidden', 1],
    ['rnu', 'run', 1],
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3], // optimal string alignment: no substring is edited twice (true Damerau-Levenshtein gives 2)
    ['MLP', 'mlp', 0],
  ])('%j to %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  it('is 0 only for equal names, symmetric, and at most the longer length', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 8 });
    fc.assert(
      fc.property(word, word, (a, b) => {
        const d = editDistance(a, b);
        expect(d === 0).toBe(a === b);
        expect(editDistance(b, a)).toBe(d);
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(d).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
      }),
      { seed: 15, numRuns: 300 },
    );
  });
});

describe('closestFirst', () => {
  it('puts the closest names first, ties alphabetical', () => {
    expect(closestFirst('magnitud', ['random', 'snip', 'magnitude', 'taylor', 'fisher'])[0]).toBe('magnitude');
    expect(closestFirst('hiden', ['inputShape', 'classes', 'hidden', 'activation'])[0]).toBe('hidden');
    // 'mni' and 'mnist' are both one edit from 'mnis' (alphabetical between them); 'synthetic' is 7 and 'fashion-mnist' 9.
    expect(closestFirst('mnis', ['synthetic', 'mnist', 'fashion-mnist', 'mni'])).toEqual(['mni', 'mnist', 'synthetic', 'fashion-mnist']);
    expect(['synthetic', 'fashion-mnist'].map((v) => editDistance('mnis', v))).toEqual([7, 9]);
  });

  it('keeps every name exactly once and leaves its argument alone', () => {
    const valid = ['b', 'a', 'c'];
    expect(closestFirst('zz', valid)).toEqual(['a', 'b', 'c']);
    expect(valid).toEqual(['b', 'a', 'c']);
  });
});

describe('unknownNameError', () => {
  it('lists the closest valid names first', () => {
    const e = unknownNameError('scorer', 'magnitud', ['fisher', 'magnitude', 'random', 'snip'], { path: 'scorer' });
    expect(e.code).toBe('E_UNKNOWN_NAME');
    expect(e.message).toBe('scorer: unknown scorer "magnitud". Valid scorer names: magnitude, random, snip, fisher');
  });
});
