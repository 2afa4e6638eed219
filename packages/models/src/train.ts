import * as tf from '@tensorflow/tfjs-core';
import { epochOrder, splitSize, type LoadedDataset } from '@prunelab/datasets';
import { BatchBuffer, crossEntropy } from './data.js';
import { makeOptimizer, type TrainingConfig } from './optimizer.js';
import type { MaskSet } from './masks.js';
import type { Net } from './net.js';

export interface TrainOptions {
  /** Seed for the shuffle order; epochs use (seed, epoch). */
  readonly seed: number;
  /** Pruning masks that must hold through training. */
  readonly masks?: MaskSet;
  /** Called after each step with the global step number; may return true to stop early. */
  readonly onStep?: (step: number) => boolean | void;
  /** Extra loss term (e.g. an L1 penalty or the ADMM proximal term), added inside the gradient tape. */
  readonly penalty?: () => tf.Scalar;
}

export interface TrainResult {
  readonly steps: number;
  readonly examples: number;
  readonly finalLoss: number;
  readonly wallMs: number;
}

/** Number of optimizer steps a config implies, so budgets can be stated and compared in steps. */
export function stepsFor(cfg: TrainingConfig, trainSize: number): number {
  return Math.max(1, Math.round((cfg.epochs * trainSize) / cfg.batchSize));
}

/**
 * Masked mini-batch training. With masks, the gradient of every pruned weight
 * is zeroed before the optimizer sees it, and the mask is re-applied after the
 * step: momentum or Adam state from before pruning could otherwise move a
 * pruned weight off zero (the failure Zhu & Gupta 2017 and open_lth guard
 * against the same way).
 */
export function train(net: Net, ds: LoadedDataset, cfg: TrainingConfig, opts: TrainOptions): TrainResult {
  const start = performance.now();
  const n = splitSize(ds, 'train');
  const total = stepsFor(cfg, n);
  const optimizer = makeOptimizer(cfg);
  const buffer = new BatchBuffer(ds, cfg.batchSize);
  const vars = net.variables();
  const kernels = new Map(net.params.map((p) => [p.kernel.name, p]));
  let step = 0;
  let examples = 0;
  let lastLoss = Number.NaN;
  let order = epochOrder(n, opts.seed, 0);
  let epoch = 0;
  let cursor = 0;
  while (step < total) {
    if (cursor + cfg.batchSize > n) {
      // Drop the ragged tail so every step has the same batch size, as open_lth does.
      epoch++;
      order = epochOrder(n, opts.seed, epoch);
      cursor = 0;
    }
    const positions = order.subarray(cursor, cursor + cfg.batchSize);
    cursor += cfg.batchSize;
    const loss = tf.tidy(() => {
      const { xs, labels } = buffer.load('train', positions);
      const { value, grads } = tf.variableGrads(() => {
        const l = crossEntropy(net.forward(xs), labels, ds.classes);
        return opts.penalty ? tf.add(l, opts.penalty()) : l;
      }, vars);
      for (const [name, g] of Object.entries(grads)) {
        const p = kernels.get(name);
        let grad = g;
        if (cfg.weightDecay > 0) {
          const v = vars.find((q) => q.name === name)!;
          grad = tf.add(grad, tf.mul(v, cfg.weightDecay));
        }
        const m = p && opts.masks?.get(p.name);
        if (m) grad = tf.mul(grad, m);
        grads[name] = grad;
      }
      optimizer.applyGradients(grads);
      if (opts.masks) {
        for (const p of net.params) {
          const m = opts.masks.get(p.name);
          if (m) p.kernel.assign(tf.mul(p.kernel, m));
        }
      }
      return value;
    });
    step++;
    examples += positions.length;
    if (step === total || step % 50 === 0) lastLoss = loss.dataSync()[0]!;
    loss.dispose();
    if (opts.onStep?.(step)) break;
  }
  optimizer.dispose();
  return { steps: step, examples, finalLoss: lastLoss, wallMs: performance.now() - start };
}
