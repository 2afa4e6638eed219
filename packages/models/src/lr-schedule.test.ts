import { describe, expect, it } from 'vitest';
import { CONSTANT_LR, lrAtStep, lrScheduleSchema, type LrSchedule } from './lr-schedule.js';
import { trainingSchema } from './optimizer.js';

// 100 training examples, 10 per step: 10 steps per epoch; 50 steps in all (5 epochs).
const LEN = { total: 50, trainSize: 100, batchSize: 10 };
const rates = (lr: number, s: LrSchedule, len = LEN) => {
  const at = lrAtStep(lr, s, len);
  return Array.from({ length: len.total }, (_, t) => at(t));
};
const parse = (s: unknown) => lrScheduleSchema.parse(s);

describe('learning-rate schedules, step by step against the hand formulas', () => {
  it('constant is the base rate at every step', () => {
    expect(rates(0.1, CONSTANT_LR)).toEqual(new Array(50).fill(0.1));
  });

  it('step multiplies by gamma at each milestone (epochs 2 and 3: steps 20 and 30)', () => {
    const r = rates(0.1, parse({ kind: 'step', milestones: [2, 3] }));
    r.forEach((v, t) => expect(v).toBe(t < 20 ? 0.1 : t < 30 ? 0.1 * 0.1 : 0.1 * 0.1 ** 2));
    expect(r[19]).toBe(0.1);
    expect(r[20]).toBe(0.1 * 0.1);
    // A milestone is converted to steps as epochs are (rounded): 1.25 epochs of 100 examples at 30 per step is step round(4.17) = 4.
    const odd = rates(1, parse({ kind: 'step', milestones: [1.25], gamma: 0.5 }), { total: 10, trainSize: 100, batchSize: 30 });
    expect(odd).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('cosine decays from lr at step 0 to minLr over the training: minLr + (lr - minLr)(1 + cos(pi t / T)) / 2', () => {
    const r = rates(0.1, parse({ kind: 'cosine', minLr: 0.001 }));
    expect(r[0]).toBe(0.1);
    expect(r[25]).toBeCloseTo(0.001 + 0.099 / 2, 15); // half way: the mean of the two
    r.forEach((v, t) => expect(v).toBeCloseTo(0.001 + (0.099 * (1 + Math.cos((Math.PI * t) / 50))) / 2, 15));
    for (let t = 1; t < 50; t++) expect(r[t]!).toBeLessThan(r[t - 1]!);
    expect(r[49]!).toBeGreaterThan(0.001);
    expect(rates(0.1, parse({ kind: 'cosine' }))[25]).toBeCloseTo(0.05, 15);
  });

  it('linear warm-up multiplies the schedule by (t + 1) / W over the first W steps (0.5 epochs: W = 5)', () => {
    const c = rates(0.1, parse({ kind: 'constant', warmupEpochs: 0.5 }));
    [0.02, 0.04, 0.06, 0.08, 0.1, 0.1].forEach((v, t) => expect(c[t]).toBeCloseTo(v, 15));
    const cos = rates(0.1, parse({ kind: 'cosine', warmupEpochs: 0.5 }));
    const bare = rates(0.1, parse({ kind: 'cosine' }));
    cos.forEach((v, t) => expect(v).toBeCloseTo(t < 5 ? (bare[t]! * (t + 1)) / 5 : bare[t]!, 15));
    // Warm-up longer than a milestone: both apply.
    const step = rates(1, parse({ kind: 'step', milestones: [0.2], gamma: 0.5, warmupEpochs: 0.4 }));
    [0.25, 0.5, 0.375, 0.5, 0.5].forEach((v, t) => expect(step[t]).toBeCloseTo(v, 15));
  });
});

describe('the lrSchedule and augment keys', () => {
  it('default to a constant rate and no augmentation, so existing configs are unchanged', () => {
    const cfg = trainingSchema.parse({});
    expect(cfg.lrSchedule).toEqual(CONSTANT_LR);
    expect(cfg.augment).toEqual({ crop: 0, flip: false });
    expect(trainingSchema.parse({ lrSchedule: { kind: 'step', milestones: [100, 150] } }).lrSchedule).toEqual({ kind: 'step', milestones: [100, 150], gamma: 0.1, warmupEpochs: 0 });
  });

  it('reject milestones out of order, unknown keys and kinds, and a gamma above 1', () => {
    const issue = (v: unknown) => trainingSchema.safeParse({ lrSchedule: v }).error?.issues[0];
    expect(issue({ kind: 'step', milestones: [150, 100] })).toMatchObject({ path: ['lrSchedule', 'milestones', 1], message: 'milestones must increase: 100 comes after 150' });
    expect(issue({ kind: 'step', milestones: [] })?.path).toEqual(['lrSchedule', 'milestones']);
    expect(issue({ kind: 'cosine', milestones: [1] })?.code).toBe('unrecognized_keys');
    expect(issue({ kind: 'linear' })?.path).toEqual(['lrSchedule', 'kind']);
    expect(issue({ kind: 'step', milestones: [1], gamma: 2 })?.path).toEqual(['lrSchedule', 'gamma']);
    expect(trainingSchema.safeParse({ augment: { crop: -1 } }).success).toBe(false);
    expect(trainingSchema.safeParse({ augment: { pad: 4 } }).success).toBe(false);
  });
});
