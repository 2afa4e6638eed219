import { describe, expect, it } from 'vitest';
import { allInOrder } from './all-in-order.js';

const later = <T>(ms: number, f: () => T): Promise<T> =>
  new Promise((res, rej) =>
    setTimeout(() => {
      try {
        res(f());
      } catch (e) {
        rej(e);
      }
    }, ms),
  );

describe('allInOrder', () => {
  it('returns the values in list order', async () => {
    expect(await allInOrder([later(5, () => 1), Promise.resolve(2), later(1, () => 3)])).toEqual([1, 2, 3]);
  });

  it('throws the earliest rejection in the list, even when a later one settles first', async () => {
    const slowFirst = later(20, () => {
      throw new Error('first');
    });
    const fastSecond = Promise.reject(new Error('second'));
    await expect(allInOrder([slowFirst, Promise.resolve(0), fastSecond])).rejects.toThrow('first');
  });
});
