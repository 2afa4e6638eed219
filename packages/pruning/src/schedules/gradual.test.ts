import { describe, expect, it } from 'vitest';
import { cubicSparsity, updateSteps } from './gradual.js';

describe('cubicSparsity (Zhu & Gupta 2017)', () => {
  const sched = { si: 0, sf: 0.9, t0: 100, n: 10, dt: 20 };
  it('is s_i at t0, 0.7875 at the midpoint, s_f at the end', () => {
    expect(cubicSparsity(100, sched)).toBe(0);
    expect(cubicSparsity(100 + 5 * 20, sched)).toBeCloseTo(0.7875, 12);
    expect(cubicSparsity(100 + 10 * 20, sched)).toBe(0.9);
    expect(cubicSparsity(10_000, sched)).toBe(0.9);
    expect(cubicSparsity(0, sched)).toBe(0);
  });
  it('never decreases', () => {
    let prev = -1;
    for (let t = 0; t <= 400; t++) {
      const s = cubicSparsity(t, sched);
      expect(s).toBeGreaterThanOrEqual(prev);
      prev = s;
    }
  });
  it('updates at t0, t0 + dt, ..., t0 + n*dt', () => {
    expect(updateSteps(sched)).toEqual([100, 120, 140, 160, 180, 200, 220, 240, 260, 280, 300]);
  });
});
