import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

/** Optimiser settings; shared by dense training and fine-tuning so budgets are comparable. */
export const trainingSchema = z
  .object({
    // Upper bounds catch typos (1e12 epochs would train for ever, a batch of 1e15 cannot be allocated) at load time.
    epochs: z.number().positive().max(10000).default(1).describe('Passes over the training split (may be fractional; at most 10,000).'),
    batchSize: z.number().int().positive().max(65536).default(60).describe('Examples per step (60 in Frankle & Carbin 2019; at most 65,536).'),
    optimizer: z.enum(['sgd', 'momentum', 'adam']).default('adam'),
    lr: z.number().positive().default(1.2e-3).describe('Learning rate (Adam 1.2e-3 as in Frankle & Carbin 2019).'),
    momentum: z.number().min(0).max(1).default(0.9).describe('Momentum for optimizer: momentum.'),
    weightDecay: z.number().min(0).default(0).describe('L2 penalty added to the gradient.'),
  })
  .strict();

export type TrainingConfig = z.output<typeof trainingSchema>;

export function makeOptimizer(cfg: TrainingConfig): tf.Optimizer {
  switch (cfg.optimizer) {
    case 'sgd':
      return tf.train.sgd(cfg.lr);
    case 'momentum': {
      // tfjs 4.22's MomentumOptimizer.dispose() does not call SGD's, so the learning-rate
      // scalar `c` leaks one tensor per optimizer; release it here.
      const opt = tf.train.momentum(cfg.lr, cfg.momentum);
      const dispose = opt.dispose.bind(opt);
      opt.dispose = () => {
        dispose();
        const c = (opt as unknown as { c?: tf.Tensor }).c;
        if (c && !c.isDisposed) c.dispose();
      };
      return opt;
    }
    case 'adam':
      return tf.train.adam(cfg.lr);
  }
}
