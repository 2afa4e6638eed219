import { describe, expect, it } from 'vitest';
import { epochOrder } from './batch.js';
import { makeSplits } from './splits.js';
import { caught } from './test-utils/builders.js';

const req = { trainPoolSize: 1000, testPoolSize: 300, trainPool: 0, testPool: 1, trainSize: 'all', valSize: 100, testSize: 'all', splitSeed: 0 } as const;

describe('splits', () => {
  it('holds the validation set out of the training file, disjoint and deterministic', () => {
    const a = makeSplits(req);
    const b = makeSplits(req);
    expect(a.val.indices).toEqual(b.val.indices);
    expect(a.train.indices).toEqual(b.train.indices);
    expect(a.train.indices.length).toBe(900);
    const all = new Set([...a.train.indices, ...a.val.indices]);
    expect(all.size).toBe(1000);
    expect([...a.test.indices]).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(a.val.pool).toBe(0);
    expect(a.test.pool).toBe(1);
    for (const s of [a.train, a.val, a.test]) expect(s.indices.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('changes with the seed', () => {
    expect(makeSplits({ ...req, splitSeed: 1 }).val.indices).not.toEqual(makeSplits(req).val.indices);
  });

  it('keeps validation fixed and nests training subsets when trainSize changes', () => {
    const small = makeSplits({ ...req, trainSize: 50, testSize: 30 });
    const big = makeSplits({ ...req, trainSize: 500, testSize: 30 });
    expect(small.val.indices).toEqual(makeSplits(req).val.indices);
    const bigSet = new Set(big.train.indices);
    for (const i of small.train.indices) expect(bigSet.has(i)).toBe(true);
    expect(small.test.indices).toEqual(big.test.indices);
    expect(small.test.indices.length).toBe(30);
  });

  it('rejects sizes over the maximum, naming the key', async () => {
    const e = await caught(() => makeSplits({ ...req, trainSize: 901, file: 'x.yaml' }));
    expect(e.code).toBe('E_CONFIG_INVALID');
    expect(e.message).toBe('x.yaml: dataset.trainSize: trainSize exceeds the maximum 900 (1000 training examples minus valSize 100) (got 901)');
    expect((await caught(() => makeSplits({ ...req, valSize: 1001 }))).details.path).toBe('dataset.valSize');
  });
});

describe('epochOrder', () => {
  it('is a permutation, deterministic in (seed, epoch)', () => {
    const p = epochOrder(1000, 7, 3);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(epochOrder(1000, 7, 3)).toEqual(p);
    expect(epochOrder(1000, 7, 4)).not.toEqual(p);
    expect(epochOrder(1000, 8, 3)).not.toEqual(p);
    expect(epochOrder(0, 1, 1)).toHaveLength(0);
  });
});
