import { z } from 'zod';

/**
 * Learning-rate schedules, per optimizer step t = 0, 1, ..., T - 1 of one
 * training (dense training, or one fine-tuning), with the base rate `lr`:
 *
 * - constant: lr.
 * - step (He et al. 2016, "Deep Residual Learning for Image Recognition", §4.2:
 *   0.1, divided by 10 at 32k and 48k of 64k iterations; PyTorch's
 *   MultiStepLR): lr * gamma^k, k = the number of milestones m with
 *   t >= round(m * trainSize / batchSize). Milestones are in epochs, converted
 *   to steps as `epochs` is (stepsFor), so milestones [100, 150] of 200 epochs
 *   fall at exactly 1/2 and 3/4 of the steps.
 * - cosine (Loshchilov & Hutter 2017, "SGDR: Stochastic Gradient Descent with
 *   Warm Restarts", eq. 5, without restarts; PyTorch's CosineAnnealingLR over
 *   T steps): minLr + (lr - minLr) (1 + cos(pi t / T)) / 2.
 *
 * Warm-up (Goyal et al. 2017, "Accurate, Large Minibatch SGD: Training ImageNet
 * in 1 Hour", §2.2, gradual warm-up): over the first W = round(warmupEpochs *
 * trainSize / batchSize) steps the schedule's rate is multiplied by (t + 1) / W,
 * rising linearly to the full rate at step W - 1 (the first step is not wasted
 * at rate 0). The schedule itself is not delayed: a step milestone or the
 * cosine's phase counts from step 0, as Detectron2's warm-up factor does.
 */
const warmupEpochs = z
  .number()
  .min(0)
  .max(10000)
  .default(0)
  .describe('Linear warm-up over this many epochs (Goyal et al. 2017): the rate rises from lr/W to lr over the first W steps; 0: none.');

const milestones = z
  .array(z.number().positive().max(10000))
  .min(1)
  .superRefine((list, ctx) => {
    for (let i = 1; i < list.length; i++) {
      if (list[i]! <= list[i - 1]!) {
        ctx.addIssue({ code: 'custom', path: [i], input: list[i], message: `milestones must increase: ${list[i]} comes after ${list[i - 1]}` });
        return;
      }
    }
  })
  .describe('Epochs at which the rate is multiplied by gamma, in increasing order (e.g. [100, 150] of 200, as in He et al. 2016).');

export const lrScheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant'), warmupEpochs }),
  z.strictObject({
    kind: z.literal('step'),
    milestones,
    gamma: z.number().positive().max(1).default(0.1).describe('Factor applied at each milestone (0.1 as in He et al. 2016).'),
    warmupEpochs,
  }),
  z.strictObject({
    kind: z.literal('cosine'),
    minLr: z.number().min(0).default(0).describe('The rate the cosine decays to at the end of the training (PyTorch eta_min).'),
    warmupEpochs,
  }),
]);

export type LrSchedule = z.output<typeof lrScheduleSchema>;

/** The constant schedule without warm-up: the default, which keeps every run id from before schedules existed. */
export const CONSTANT_LR: LrSchedule = { kind: 'constant', warmupEpochs: 0 };

interface ScheduleLength {
  /** Optimizer steps of this training (T). */
  readonly total: number;
  /** Examples in the training split and per step, to turn epochs into steps. */
  readonly trainSize: number;
  readonly batchSize: number;
}

/** Epochs to steps, as stepsFor turns `epochs` into steps. */
const toSteps = (epochs: number, len: ScheduleLength): number => Math.round((epochs * len.trainSize) / len.batchSize);

/** The learning rate of step `t` (0-based) as a function: milestones and warm-up are converted to steps once. */
export function lrAtStep(lr: number, schedule: LrSchedule, len: ScheduleLength): (t: number) => number {
  const warm = toSteps(schedule.warmupEpochs, len);
  const factor = (t: number): number => (t < warm ? (t + 1) / warm : 1);
  switch (schedule.kind) {
    case 'constant':
      return (t) => lr * factor(t);
    case 'step': {
      const at = schedule.milestones.map((m) => toSteps(m, len));
      return (t) => {
        let k = 0;
        for (const m of at) if (t >= m) k++;
        return lr * schedule.gamma ** k * factor(t);
      };
    }
    case 'cosine': {
      const { minLr } = schedule;
      return (t) => (minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * t) / len.total))) / 2) * factor(t);
    }
  }
}
