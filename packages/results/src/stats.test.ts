import { describe, expect, it } from 'vitest';
import { summarize } from './stats.js';

describe('summarize', () => {
  it('gives the Student-t interval, clipped to the metric range only when one is given', () => {
    // mean 0.95, sample std 0.0707..., t(1) = 12.706: half-width 0.635.
    const open = summarize([0.9, 1.0]);
    expect(open.mean).toBeCloseTo(0.95, 12);
    expect(open.ci95![0]).toBeCloseTo(0.95 - 0.635, 3);
    expect(open.ci95![1]).toBeCloseTo(0.95 + 0.635, 3);
    const clipped = summarize([0.9, 1.0], [0, 1]);
    expect(clipped.ci95![0]).toBeCloseTo(0.95 - 0.635, 3);
    expect(clipped.ci95![1]).toBe(1);
    expect(summarize([0.01, 0.2], [0, 1]).ci95![0]).toBe(0);
  });

  it('gives one value no spread and no interval, and flags the interval of two', () => {
    expect(summarize([0.5], [0, 1])).toEqual({ mean: 0.5, std: null, n: 1, ci95: null, ciUninformative: false });
    expect(summarize([0.5, 0.6]).ciUninformative).toBe(true);
    const three = summarize([0.5, 0.6, 0.7]);
    expect(three.ciUninformative).toBe(false);
    // t(0.975, 2) = 4.303, std 0.1: half-width 4.303 · 0.1 / √3.
    expect(three.ci95![1] - three.mean).toBeCloseTo((4.303 * 0.1) / Math.sqrt(3), 12);
  });
});
