import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash, stripDefaults } from './hash.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });
  it('rejects non-finite numbers instead of writing null', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/non-finite/);
  });
});

describe('stripDefaults', () => {
  it('drops leaves equal to their default, keeps the rest', () => {
    const defaults = { train: { lr: 0.1, epochs: 3 }, seed: 0 };
    expect(stripDefaults({ train: { lr: 0.1, epochs: 5 }, seed: 0 }, defaults)).toEqual({ train: { epochs: 5 } });
    expect(stripDefaults({ train: { lr: 0.1, epochs: 3 }, seed: 0 }, defaults)).toBeUndefined();
  });
  it('adding a defaulted option does not change the hash', () => {
    const before = stripDefaults({ a: 1 }, { a: 0 });
    const after = stripDefaults({ a: 1, b: 'new' }, { a: 0, b: 'new' });
    expect(contentHash(before)).toBe(contentHash(after));
  });
});
