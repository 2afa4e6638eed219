import { describe, expect, it } from 'vitest';
import { summarize } from './stats.js';

describe('summarize', () => {
  it('gives the Student-t interval, clipped to the metric range only when one is given', () => {
    // mean 0.95, sample std 0.0707..., t(1) = 12.706: half-width 0.635.
    const open = summarize([0.9, 1.0]);
    expect(open.mean).toBeCloseTo(0.95, 12);
    expect(open.ci95[0]).toBeCloseTo(0.95 - 0.635, 3);
    expect(open.ci95[1]).toBeCloseTo(0.95 + 0.635, 3);
    const clipped = summarize([0.9, 1.0], [0, 1]);
    expect(clipped.ci95[0]).toBeCloseTo(0.95 - 0.635, 3);
    expect(clipped.ci95[1]).toBe(1);
    expect(summarize([0.01, 0.2], [0, 1]).ci95[0]).toBe(0);
    expect(summarize([0.5], [0, 1]).ci95).toEqual([0.5, 0.5]);
  });
});
