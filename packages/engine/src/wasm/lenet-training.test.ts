import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildLeNet5Caffe, randomBatch, sgdStep } from './bench-conv.js';
import { registerWasmTrainingKernels } from './register.js';

describe('LeNet-5 trains on wasm', () => {
  beforeAll(async () => {
    // Before setBackend on purpose: registration must not need a live backend.
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
    await tf.ready();
  });

  it.each(['valid', 'same'] as const)('SGD with optimizer.minimize lowers the loss (%s padding)', (padding) => {
    expect(tf.getBackend()).toBe('wasm');
    const model = buildLeNet5Caffe(padding);
    const optimizer = tf.train.sgd(0.05);
    const { x, y } = randomBatch(16);
    const losses: number[] = [];
    losses.push(sgdStep(model, optimizer, x, y));
    const tensorsAfterFirstStep = tf.memory().numTensors;
    for (let i = 0; i < 7; i++) losses.push(sgdStep(model, optimizer, x, y));
    // Steady state: a training step leaves no tensors behind.
    expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep);
    console.log(`wasm LeNet-5 (${padding}) losses: ${losses.map((l) => l.toFixed(4)).join(' ')}`);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    const first = losses[0] as number;
    const last = losses[losses.length - 1] as number;
    expect(last).toBeLessThan(first * 0.9);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  });

  it('tf.variableGrads gives the same gradients on wasm and cpu for every LeNet weight', async () => {
    const grads = async (backend: 'cpu' | 'wasm'): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      const model = buildLeNet5Caffe('same', 3);
      const { x, y } = randomBatch(4, 11);
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads: g } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar, vars);
      const out = vars.map((v) => {
        const gv = g[v.name];
        if (gv === undefined) throw new Error(`no gradient for ${v.name}`);
        return gv.dataSync() as Float32Array;
      });
      tf.dispose([value, x, y]);
      tf.dispose(g);
      model.dispose();
      return out;
    };
    const cpu = await grads('cpu');
    const wasm = await grads('wasm');
    expect(wasm.length).toBe(cpu.length);
    wasm.forEach((a, i) => {
      const b = cpu[i] as Float32Array;
      let d2 = 0;
      let r2 = 0;
      for (let j = 0; j < b.length; j++) {
        d2 += ((a[j] as number) - (b[j] as number)) ** 2;
        r2 += (b[j] as number) ** 2;
      }
      expect(Math.sqrt(d2) / Math.max(Math.sqrt(r2), 1e-12)).toBeLessThan(1e-4);
    });
    await tf.setBackend('wasm');
  });

  it('model.fit (tfjs-layers) runs on wasm', async () => {
    await tf.setBackend('wasm');
    const model = buildLeNet5Caffe('valid', 5);
    model.add(tfl.layers.softmax());
    model.compile({ optimizer: tf.train.sgd(0.05), loss: 'categoricalCrossentropy' });
    const { x, y } = randomBatch(16, 21);
    const before = tf.memory().numTensors;
    const history = await model.fit(x, y, { epochs: 5, batchSize: 8, shuffle: false, verbose: 0 });
    const loss = history.history['loss'] as number[];
    console.log(`wasm LeNet-5 model.fit losses: ${loss.map((l) => l.toFixed(4)).join(' ')}`);
    expect(loss.every((l) => Number.isFinite(l))).toBe(true);
    expect(loss[loss.length - 1] as number).toBeLessThan(loss[0] as number);
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 2);
    tf.dispose([x, y]);
    model.dispose();
  });
});
