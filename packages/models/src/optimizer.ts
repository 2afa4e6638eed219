import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

/** Optimiser settings; shared by dense training and fine-tuning so budgets are comparable. */
export const trainingSchema = z
  .object({
    epochs: z.number().positive().default(1).describe('Passes over the training split (may be fractional).'),
    batchSize: z.number().int().positive().default(60).describe('Examples per step (60 in Frankle & Carbin 2019).'),
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
    case 'momentum':
      return tf.train.momentum(cfg.lr, cfg.momentum);
    case 'adam':
      return tf.train.adam(cfg.lr);
  }
}
