import * as tf from '@tensorflow/tfjs-core';
import { MAX_CROP } from '@prunelab/datasets';
import { z } from 'zod';
import { CONSTANT_LR, lrScheduleSchema } from './lr-schedule.js';

/**
 * Training augmentation: random crop after zero padding and horizontal flip
 * (He et al. 2016, §4.2; see @prunelab/datasets augment.ts), on the training
 * split only, drawn from (seed, epoch). Off by default, so configs without it
 * keep their run ids.
 */
const augmentSchema = z
  .strictObject({
    crop: z.int().min(0).max(MAX_CROP).default(0).describe('Pixels of zero padding on each side before a random crop of the original size (4 for CIFAR-10); 0: no cropping.'),
    flip: z.boolean().default(false).describe('Flip each training image horizontally with probability 1/2.'),
  })
  .describe('Training-data augmentation (images only), e.g. { crop: 4, flip: true } for CIFAR-10.');

/**
 * Optimiser settings; shared by dense training and fine-tuning so budgets are comparable.
 *
 * `momentum` is tfjs-core's MomentumOptimizer, which equals PyTorch's SGD with
 * momentum (dampening 0, nesterov off), the optimizer of the standard CIFAR
 * recipes (He et al. 2016: momentum 0.9, weight decay 1e-4; ShrinkBench 5e-4):
 * both keep v = momentum v + g and step w -= lr v, with the current rate
 * applied to the whole buffer, so a schedule changes both alike. `weightDecay`
 * is added to the gradient before the optimizer sees it (g + wd w), as
 * PyTorch's SGD does, on every parameter (biases too, as torch.optim.SGD over
 * model.parameters()); gradient masking comes after it. The one difference:
 * PyTorch's first step sets v = g, tfjs starts from v = 0 and adds g, which is
 * the same value. (Sutskever et al. 2013's form folds lr into v instead; with a
 * changing rate that differs, and neither library uses it.)
 */
export const trainingSchema = z
  .object({
    // Upper bounds catch typos (1e12 epochs would train for ever, a batch of 1e15 cannot be allocated) at load time.
    epochs: z.number().positive().max(10000).default(1).describe('Passes over the training split (may be fractional; at most 10,000).'),
    batchSize: z.number().int().positive().max(65536).default(60).describe('Examples per step (60 in Frankle & Carbin 2019; at most 65,536).'),
    optimizer: z.enum(['sgd', 'momentum', 'adam']).default('adam'),
    lr: z.number().positive().default(1.2e-3).describe('Learning rate (Adam 1.2e-3 as in Frankle & Carbin 2019); the base rate of lrSchedule.'),
    lrSchedule: lrScheduleSchema
      .default(CONSTANT_LR)
      .describe('Learning rate per step: constant, step (milestones in epochs, gamma) or cosine (to minLr), each with optional linear warm-up (warmupEpochs).'),
    momentum: z.number().min(0).max(1).default(0.9).describe('Momentum for optimizer: momentum.'),
    weightDecay: z.number().min(0).default(0).describe('L2 penalty added to the gradient.'),
    augment: augmentSchema.prefault({}),
  })
  .strict();

export type TrainingConfig = z.output<typeof trainingSchema>;

/** An optimizer whose learning rate a schedule sets before each step. */
export type ScheduledOptimizer = tf.Optimizer & { setLearningRate(lr: number): void };

/** tfjs 4.22's MomentumOptimizer.dispose() does not call SGD's, so its learning-rate scalar `c` would leak one tensor per optimizer. */
class Momentum extends tf.MomentumOptimizer {
  override dispose(): void {
    super.dispose();
    if (!this.c.isDisposed) this.c.dispose();
  }
}

/**
 * Adam's constants (Kingma & Ba 2015), one copy for both engines: tf.train.adam's defaults and the
 * epsilon tfjs-core 4.22 uses on a float32 backend (its backend epsilon, 1e-7), which the native
 * program is given explicitly so that the two engines take the same steps.
 */
export const ADAM_CONSTANTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

/** tfjs' Adam reads `learningRate` at every step but has no setter. */
class Adam extends tf.AdamOptimizer {
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }
}

export function makeOptimizer(cfg: TrainingConfig): ScheduledOptimizer {
  switch (cfg.optimizer) {
    case 'sgd':
      return new tf.SGDOptimizer(cfg.lr);
    case 'momentum':
      return new Momentum(cfg.lr, cfg.momentum);
    case 'adam':
      return new Adam(cfg.lr, ADAM_CONSTANTS.beta1, ADAM_CONSTANTS.beta2); // epsilon: the backend's own, 1e-7 on float32 ones
  }
}
