import * as tf from '@tensorflow/tfjs-core';
import { PrunelabError } from '@prunelab/core';
import { augmentPlan, augmentShapeProblem, epochOrder, splitSize, type AugmentPlan, type LoadedDataset } from '@prunelab/datasets';
import { BatchStats } from './batch-norm.js';
import { BatchBuffer, crossEntropy } from './data.js';
import { lrAtStep } from './lr-schedule.js';
import { makeOptimizer, type TrainingConfig } from './optimizer.js';
import { maskableVariables, type MaskSet } from './mask-set.js';
import type { Net } from './net.js';
import { nativeTrainer } from './native-train.js';

export interface TrainOptions {
  /** Seed for the shuffle order; epochs use (seed, epoch). */
  readonly seed: number;
  /** Pruning masks that must hold through training. */
  readonly masks?: MaskSet;
  /** Called after each step with the global step number; may return true to stop early. */
  readonly onStep?: (step: number) => boolean | void;
  /** Extra loss term (e.g. an L1 penalty or the ADMM proximal term), added inside the gradient tape. */
  readonly penalty?: () => tf.Scalar;
  /**
   * Masks read before every step, for schedules that change the mask during
   * training (gradual pruning, Zhu & Gupta 2017). When it returns a set, that
   * set is used for the step (gradient masking and re-application) instead of `masks`.
   */
  readonly masksProvider?: () => MaskSet | undefined;
  /** Run exactly this many optimizer steps instead of the count the config implies. */
  readonly steps?: number;
  /** 'tfjs' trains with tfjs ops even on the native backend (to compare the two); default: native where it can. */
  readonly engine?: 'auto' | 'tfjs';
}

export interface AsyncTrainOptions extends Omit<TrainOptions, 'onStep'> {
  /** Awaited after each step (e.g. to re-score with an async scorer); may resolve true to stop early. */
  readonly onStep?: (step: number) => Promise<boolean | void> | boolean | void;
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
 * The augmentation draws of one epoch, or undefined when the config turns augmentation off.
 * A dataset that is not images cannot be cropped or flipped: a user error.
 */
function epochAugmentation(ds: LoadedDataset, cfg: TrainingConfig, seed: number, epoch: number): AugmentPlan | undefined {
  const a = cfg.augment;
  if (a.crop === 0 && !a.flip) return undefined;
  const problem = augmentShapeProblem(ds.shape);
  if (problem) {
    throw new PrunelabError('E_CONFIG_INVALID', `augment: dataset ${ds.name}: ${problem}`, { path: 'augment', value: a, fix: 'Remove augment from train and finetune, or use an image dataset' });
  }
  return augmentPlan(splitSize(ds, 'train'), a, seed, epoch);
}

/**
 * Masked mini-batch training. With masks, the gradient of every pruned weight
 * is zeroed before the optimizer sees it, and the mask is re-applied after the
 * step: momentum or Adam state from before pruning could otherwise move a
 * pruned weight off zero (the failure Zhu & Gupta 2017 and open_lth guard
 * against the same way). The learning rate follows `cfg.lrSchedule` step by
 * step (lr-schedule.ts), and with `cfg.augment` the training batches are
 * cropped and flipped by draws from (seed, epoch), on both engines: the native
 * one reads the same filled batch buffer.
 */
export function train(net: Net, ds: LoadedDataset, cfg: TrainingConfig, opts: TrainOptions): TrainResult {
  const loop = trainLoop(net, ds, cfg, opts, opts.onStep !== undefined);
  let r = loop.next(false);
  try {
    while (!r.done) r = loop.next(opts.onStep?.(r.value) === true);
  } catch (e) {
    loop.return(undefined as never); // runs the loop's finally: the optimizer is released
    throw e;
  }
  return r.value;
}

/**
 * train() with an awaited step hook. The same loop drives both, so for the
 * same seed and hooks that change nothing they do bit-identical work.
 */
export async function trainAsync(net: Net, ds: LoadedDataset, cfg: TrainingConfig, opts: AsyncTrainOptions): Promise<TrainResult> {
  const loop = trainLoop(net, ds, cfg, opts, opts.onStep !== undefined);
  let r = loop.next(false);
  try {
    while (!r.done) r = loop.next((await opts.onStep?.(r.value)) === true);
  } catch (e) {
    loop.return(undefined as never);
    throw e;
  }
  return r.value;
}

/**
 * One optimizer step per `next(stop)`; yields the global step number; `next(true)` stops; returns the summary.
 * On the native backend the step runs as one native program call (native-train.ts), except with a
 * `penalty`, which is a tfjs function; `hooked` says whether a caller sees the net between steps.
 */
function* trainLoop(net: Net, ds: LoadedDataset, cfg: TrainingConfig, opts: Omit<TrainOptions, 'onStep'>, hooked: boolean): Generator<number, TrainResult, boolean> {
  const start = performance.now();
  const n = splitSize(ds, 'train');
  const total = opts.steps ?? stepsFor(cfg, n);
  const optimizer = makeOptimizer(cfg);
  const lrAt = lrAtStep(cfg.lr, cfg.lrSchedule, { total, trainSize: n, batchSize: cfg.batchSize });
  let lr = cfg.lr;
  const buffer = new BatchBuffer(ds, cfg.batchSize);
  const vars = net.variables();
  const byName = new Map(vars.map((v) => [v.name, v]));
  // Masks are keyed by layer (kernels) or by variable (biases, batch norms: mask-set.ts).
  const maskable = maskableVariables(net);
  const maskKey = new Map(maskable.map((m) => [m.variable.name, m.key]));
  let step = 0;
  let examples = 0;
  let lastLoss = Number.NaN;
  let order = epochOrder(n, opts.seed, 0);
  let epoch = 0;
  let augment = epochAugmentation(ds, cfg, opts.seed, 0);
  let cursor = 0;
  const summary = (): TrainResult => ({ steps: step, examples, finalLoss: lastLoss, wallMs: performance.now() - start });
  const native = opts.penalty === undefined && opts.engine !== 'tfjs' ? nativeTrainer(net, cfg) : undefined;
  const batchStats = new BatchStats();
  // Whoever sees the net between steps may compute with it in tfjs: the variables then need fresh data ids.
  const renewBetweenSteps = native !== undefined && (hooked || opts.masksProvider !== undefined);
  try {
    while (step < total) {
      if (cursor + cfg.batchSize > n) {
        // Drop the ragged tail so every step has the same batch size, as open_lth does.
        epoch++;
        order = epochOrder(n, opts.seed, epoch);
        augment = epochAugmentation(ds, cfg, opts.seed, epoch);
        cursor = 0;
      }
      const positions = order.subarray(cursor, cursor + cfg.batchSize);
      cursor += cfg.batchSize;
      const masks = opts.masksProvider?.() ?? opts.masks;
      const stepLr = lrAt(step);
      if (native) {
        const batch = buffer.fill('train', positions, augment);
        const loss = native.step(batch.x, batch.y, masks, stepLr);
        step++;
        examples += positions.length;
        if (step === total || step % 50 === 0) lastLoss = loss;
        if (renewBetweenSteps) native.renewSeen();
        if (yield step) break;
        continue;
      }
      if (stepLr !== lr) optimizer.setLearningRate((lr = stepLr));
      const loss = tf.tidy(() => {
        const { xs, labels } = buffer.load('train', positions, augment);
        const { value, grads } = tf.variableGrads(() => {
          // Training mode: batch norms use the batch's statistics and record them for the update below.
          const l = crossEntropy(net.forward(xs, { training: true, batchStats }), labels, ds.classes);
          return opts.penalty ? tf.add(l, opts.penalty()) : l;
        }, vars);
        for (const [name, g] of Object.entries(grads)) {
          const key = maskKey.get(name);
          let grad = g;
          if (cfg.weightDecay > 0) {
            const v = byName.get(name)!;
            grad = tf.add(grad, tf.mul(v, cfg.weightDecay));
          }
          const m = key === undefined ? undefined : masks?.get(key);
          if (m) grad = tf.mul(grad, m);
          grads[name] = grad;
        }
        optimizer.applyGradients(grads);
        if (masks) {
          for (const { key, variable } of maskable) {
            const m = masks.get(key);
            if (m) variable.assign(tf.mul(variable, m));
          }
        }
        // The running statistics move after the step, outside the gradient tape (batch-norm.ts).
        batchStats.commit();
        return value;
      });
      step++;
      examples += positions.length;
      if (step === total || step % 50 === 0) lastLoss = loss.dataSync()[0]!;
      loss.dispose();
      if (yield step) break;
    }
    return summary();
  } finally {
    batchStats.dispose();
    optimizer.dispose();
  }
}
