import { splitSize, type LoadedDataset, type SplitName } from '@prunelab/datasets';
import { tf } from '@prunelab/engine';
import { BatchBuffer, type Net } from '@prunelab/models';
import { attackSchema, clipRange, type AttackConfig, type ClipRange } from './common.js';
import { fgsm } from './fgsm.js';
import { pgd } from './pgd.js';

/** Crafts adversarial examples for one batch with the configured attack (caller disposes). */
export function craft(
  net: Net,
  xs: tf.Tensor,
  labels: tf.Tensor1D,
  cfg: ReturnType<typeof attackSchema.parse>,
  range: ClipRange | undefined,
  seed = cfg.seed,
): tf.Tensor {
  const clipOpt = range ? { clip: range } : {};
  if (cfg.attack === 'fgsm') return fgsm(net, xs, labels, { eps: cfg.eps, ...clipOpt });
  return pgd(net, xs, labels, {
    eps: cfg.eps,
    steps: cfg.steps,
    randomStart: cfg.randomStart,
    seed,
    ...(cfg.stepSize !== undefined && { stepSize: cfg.stepSize }),
    ...clipOpt,
  });
}

/**
 * Accuracy on adversarial examples crafted against `net` from every example of
 * `split` (in chunks of `chunk`), with the same attack and eps as configured
 * (the robust_accuracy metric). `config` is validated by `attackSchema`.
 */
export function robustAccuracy(net: Net, ds: LoadedDataset, split: SplitName, config: AttackConfig = {}, chunk = 500): number {
  const cfg = attackSchema.parse(config);
  const range = clipRange(ds, cfg.clipMin, cfg.clipMax);
  const n = splitSize(ds, split);
  if (n === 0) return Number.NaN;
  const buffer = new BatchBuffer(ds, Math.min(chunk, n));
  const positions = new Uint32Array(buffer.capacity);
  let correct = 0;
  for (let start = 0; start < n; start += buffer.capacity) {
    const b = Math.min(buffer.capacity, n - start);
    for (let i = 0; i < b; i++) positions[i] = start + i;
    const { xs, labels } = buffer.load(split, positions.subarray(0, b));
    const adv = craft(net, xs, labels, cfg, range, cfg.seed + start);
    correct += tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(net.forward(adv), 1), labels), 'float32')).dataSync()[0]!);
    adv.dispose();
    xs.dispose();
    labels.dispose();
  }
  return correct / n;
}
