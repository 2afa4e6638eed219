// Training throughput of LeNet-5 (caffe preset) on the wasm backend (with the
// kernels from ./register.ts) versus the pure-JS cpu backend. Run the compiled
// file directly with node to print samples/s; importing it only defines the
// helpers (the LeNet builder is shared with the tests).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-layers' Node bundle also registers every gradient, which tfjs-core alone does not.
import * as tfl from '@tensorflow/tfjs-layers';
import { pathToFileURL } from 'node:url';
import { registerWasmTrainingKernels } from './register.js';

/**
 * LeNet-5, caffe preset: conv 5x5x20 → relu → maxpool 2 → conv 5x5x50 → relu →
 * maxpool 2 → flatten → dense 500 relu → dense 10 (logits). `padding` 'same'
 * gives the variant used to exercise padded convs.
 */
export function buildLeNet5Caffe(padding: 'valid' | 'same' = 'valid', seed = 1): tfl.Sequential {
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: seed * 10 + s });
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 20,
        kernelSize: 5,
        padding,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tfl.layers.conv2d({ filters: 50, kernelSize: 5, padding, activation: 'relu', kernelInitializer: init(2) }),
      tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 500, activation: 'relu', kernelInitializer: init(3) }),
      tfl.layers.dense({ units: 10, kernelInitializer: init(4) }),
    ],
  });
}

/** A fixed random batch: inputs in [0, 1), one-hot labels. */
export function randomBatch(batchSize: number, seed = 7): { x: tf.Tensor4D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomUniform([batchSize, 28, 28, 1], 0, 1, 'float32', seed) as tf.Tensor4D;
    const labels = tf.randomUniform([batchSize], 0, 10, 'int32', seed + 1) as tf.Tensor1D;
    const y = tf.cast(tf.oneHot(labels, 10), 'float32') as tf.Tensor2D;
    return { x, y };
  });
}

/** One SGD step on softmax cross-entropy; returns the loss before the update. */
export function sgdStep(model: tfl.Sequential, optimizer: tf.Optimizer, x: tf.Tensor4D, y: tf.Tensor2D): number {
  const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar, true);
  if (cost === null) throw new Error('optimizer.minimize returned no cost');
  const value = cost.dataSync()[0] ?? Number.NaN;
  cost.dispose();
  return value;
}

export interface ConvBenchResult {
  backend: string;
  /** Whether wasm's built-in Conv2DBackpropInput was replaced by ours. */
  fastBackpropInput: boolean;
  batchSize: number;
  steps: number;
  samplesPerSecond: number;
  msPerStep: number;
  firstLoss: number;
  lastLoss: number;
}

/** Trains LeNet-5 caffe on one fixed random batch and times the steps after warmup. */
export async function benchLeNetTraining(
  backend: 'wasm' | 'cpu',
  options: {
    batchSize?: number;
    steps?: number;
    warmupSteps?: number;
    learningRate?: number;
    /** Passed to registerWasmTrainingKernels; it cannot be undone within a process. */
    replaceSlowKernels?: boolean;
  } = {},
): Promise<ConvBenchResult> {
  const { batchSize = 64, steps = 50, warmupSteps = 3, learningRate = 0.01, replaceSlowKernels = false } = options;
  registerWasmTrainingKernels({ replaceSlowKernels });
  if (!(await tf.setBackend(backend))) throw new Error(`backend '${backend}' failed to initialise`);
  await tf.ready();
  const model = buildLeNet5Caffe('valid');
  const optimizer = tf.train.sgd(learningRate);
  const { x, y } = randomBatch(batchSize);
  let firstLoss = Number.NaN;
  for (let i = 0; i < warmupSteps; i++) {
    const loss = sgdStep(model, optimizer, x, y);
    if (i === 0) firstLoss = loss;
  }
  let lastLoss = Number.NaN;
  const start = performance.now();
  for (let i = 0; i < steps; i++) lastLoss = sgdStep(model, optimizer, x, y);
  const seconds = (performance.now() - start) / 1000;
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return {
    backend,
    fastBackpropInput: replaceSlowKernels,
    batchSize,
    steps,
    samplesPerSecond: (steps * batchSize) / seconds,
    msPerStep: (seconds * 1000) / steps,
    firstLoss,
    lastLoss,
  };
}

async function main(): Promise<void> {
  // The cpu backend is pure JS and very slow on convs, so its step count is separate.
  const steps = Number(process.env['BENCH_STEPS'] ?? 50);
  const cpuSteps = Number(process.env['BENCH_CPU_STEPS'] ?? steps);
  // Order matters: replacing wasm's Conv2DBackpropInput is process-wide.
  const runs = [
    { backend: 'wasm', replaceSlowKernels: false, steps },
    { backend: 'wasm', replaceSlowKernels: true, steps },
    { backend: 'cpu', replaceSlowKernels: false, steps: cpuSteps },
  ] as const;
  for (const run of runs) {
    if (run.steps <= 0) continue;
    const r = await benchLeNetTraining(run.backend, run);
    const label = r.backend === 'wasm' ? `wasm (${r.fastBackpropInput ? 'fast' : 'built-in'} dx)` : r.backend;
    process.stdout.write(
      `${label}: ${r.samplesPerSecond.toFixed(1)} samples/s (${r.msPerStep.toFixed(1)} ms/step, ` +
        `batch ${r.batchSize}, ${r.steps} steps; loss ${r.firstLoss.toFixed(4)} -> ${r.lastLoss.toFixed(4)})\n`,
    );
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
