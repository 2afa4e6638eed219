import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LoadedDataset } from '@prunelab/datasets';
import { initBackend, tf } from '@prunelab/engine';
import { crossEntropy, modelRegistry, Net, type Architecture } from '@prunelab/models';
import { calibrationPositions, scorerRegistry } from './index.js';
import type { UnitScoredLayer } from './types.js';
import { rows, smallOptions, snapshot, tinyDataset } from './test-utils/fixtures.js';
import { mirrorOf, saveToTemp, unusualConvnet } from './test-utils/imported.js';

/**
 * Every registered scorer on every registered model. Each zoo model is also
 * written out as a Keras-style tfjs model with the same weights (separate
 * Activation, identity BatchNormalization, pooling and Dropout layers) and
 * loaded back through the `tfjs` entry: the scorers must score that imported
 * network exactly as they score the zoo network, since it computes the same
 * function. A third, unusual imported convnet (tanh, elu, average pooling,
 * batch norm with real statistics) checks that the scorers differentiate and
 * read the network that is trained and evaluated (`Net.forward`).
 */

const backend = (process.env['PRUNELAB_TEST_BACKEND'] ?? 'cpu') as 'cpu' | 'wasm';
const CLASSES = 3;
const SEED = 4;

/** One small instance of every zoo model; `tfjs` is the imported models below. */
const zoo: Record<string, { options: Record<string, unknown>; shape: number[] }> = {
  mlp: { options: { hidden: [6, 5] }, shape: [4, 4, 1] },
  'lenet-5': { options: { preset: 'classic' }, shape: [16, 16, 1] },
  'conv-small': { options: { widths: [3, 4], dense: [6] }, shape: [8, 8, 2] },
};

/**
 * Graph models (residual adds, batch norm with running statistics): the tfjs
 * entry imports Sequential models only, so these have no Keras mirror and each
 * scorer runs on the zoo network alone, with the same checks (no leak, the
 * weights untouched, one finite score per weight).
 */
const graphZoo: Record<string, { options: Record<string, unknown>; shape: number[] }> = {
  resnet: { options: { depth: 20, shortcut: 'B', width: 2 }, shape: [8, 8, 3] },
  vgg: { options: { depth: 11, width: 2 }, shape: [16, 16, 3] },
};

/** Options that take a scorer through another use of the forward pass, scored besides its defaults. */
const variants: Record<string, ReadonlyArray<Record<string, unknown>>> = {
  'noise-sensitivity': [{ level: 'weight' }],
  obd: [{ hessian: 'empirical-fisher' }],
};

const configs = scorerRegistry.list().flatMap((entry) =>
  [{}, ...(variants[entry.name] ?? [])].map((v) => ({
    label: Object.keys(v).length === 0 ? entry.name : `${entry.name} ${JSON.stringify(v)}`,
    name: entry.name,
    options: { ...smallOptions(entry, { batchSize: 8 }), ...v },
  })),
);

const dirs: string[] = [];

beforeAll(async () => {
  await initBackend(backend);
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** 24 examples of the given shape, labelled by the sign pattern of two inputs. */
function dataset(shape: readonly number[]): LoadedDataset {
  const d = shape.reduce((a, b) => a * b, 1);
  const x = rows(24, d, 17);
  const y = x.map((r) => (r[0]! > 0 ? 1 : 0) + (r[d - 1]! > 0.3 ? 1 : 0));
  return tinyDataset(x, y, shape, CLASSES);
}

async function importTemp(model: tfl.LayersModel, shape: readonly number[]): Promise<Architecture> {
  const dir = await saveToTemp(model);
  dirs.push(dir);
  return modelRegistry.create('tfjs', { path: dir })(shape, CLASSES);
}

async function scoreChecked(name: string, options: Record<string, unknown>, net: Net, ds: LoadedDataset): Promise<UnitScoredLayer[]> {
  const before = snapshot(net);
  const tensors = tf.memory().numTensors;
  const scores = await scorerRegistry.create(name, options).score({ net, ds, seed: SEED });
  expect(tf.memory().numTensors).toBe(tensors);
  expect(sameBits(snapshot(net), before), 'the scorer left the weights as they were').toBe(true);
  expect(scores.map((l) => l.name)).toEqual(net.params.map((p) => p.name));
  scores.forEach((l, i) => {
    expect(l.shape).toEqual(net.params[i]!.kernel.shape);
    expect(l.scores.length).toBe(net.params[i]!.kernel.size);
    expect(l.scores.every(Number.isFinite), `${l.name} scores are finite`).toBe(true);
  });
  return scores;
}

/** Bit-for-bit equality of two lists of float arrays (one comparison, not one expect per value). */
function sameBits(a: readonly Float32Array[], b: readonly Float32Array[]): boolean {
  const bytes = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  return a.length === b.length && a.every((x, i) => bytes(x).equals(bytes(b[i]!)));
}

/** |a - b| <= rel * (largest |b| of the layer), for every score and unit score of every layer. */
function expectSameScores(a: readonly UnitScoredLayer[], b: readonly UnitScoredLayer[], rel: number): void {
  expect(a.length).toBe(b.length);
  const close = (x: ArrayLike<number>, y: ArrayLike<number>, what: string) => {
    expect(x.length, what).toBe(y.length);
    let scale = 0;
    for (let i = 0; i < y.length; i++) scale = Math.max(scale, Math.abs(y[i]!));
    let worst = 0;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
    expect(worst, `${what}: max |difference| ${worst} against largest score ${scale}`).toBeLessThanOrEqual(rel * scale);
  };
  a.forEach((l, i) => {
    const m = b[i]!;
    expect(l.name).toBe(m.name);
    close(l.scores, m.scores, `${l.name} scores`);
    expect(l.unitScores === undefined).toBe(m.unitScores === undefined);
    if (l.unitScores && m.unitScores) close(l.unitScores, m.unitScores, `${l.name} unit scores`);
  });
}

describe('the models of the scorer x model test', () => {
  it('cover every registered model', () => {
    expect(modelRegistry.names()).toEqual([...Object.keys(zoo), ...Object.keys(graphZoo), 'tfjs'].sort());
  });
});

describe.each(Object.entries(zoo))(`zoo model %s and its Keras-style import (${backend})`, (model, { options, shape }) => {
  const ds = dataset(shape);
  let zooNet: Net;
  let imported: Net;

  beforeAll(async () => {
    const arch = modelRegistry.create(model, options)(shape, CLASSES);
    zooNet = new Net(arch, SEED);
    const keras = mirrorOf(arch, zooNet);
    try {
      imported = new Net(await importTemp(keras, shape), SEED);
    } finally {
      keras.dispose();
    }
  });
  afterAll(() => {
    zooNet.dispose();
    imported.dispose();
  });

  it('imports as the zoo network: separate carried-along layers, identity batch norm, the same weights and logits', () => {
    const ops = imported.arch.layers.flatMap((l) => (l.kind === 'fixed' ? [l.op] : []));
    const kinds = new Set(ops.map((op) => (op.type === 'activation' ? `activation ${op.fn}` : op.type)));
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['activation relu', 'affine', 'identity']));
    for (const op of ops) {
      if (op.type === 'affine') {
        expect(op.scale.every((v) => Math.fround(v) === 1)).toBe(true);
        expect(op.offset.every((v) => v === 0)).toBe(true);
      }
    }
    expect(imported.arch.layers.some((l) => l.kind === 'maxpool')).toBe(model !== 'mlp');
    expect(imported.params.map((p) => p.name)).toEqual(zooNet.params.map((p) => p.name));
    expect(sameBits(snapshot(imported), snapshot(zooNet))).toBe(true);
    const [a, b] = tf.tidy(() => {
      const x = tf.tensor(ds.pools[0]!.x, [24, ...shape]);
      return [zooNet.forward(x).dataSync(), imported.forward(x).dataSync()];
    });
    expect(b).toEqual(a);
  });

  it.each(configs)('$label scores the import as the zoo model (1e-5 relative), without leaks', async ({ name, options: o }) => {
    const a = await scoreChecked(name, o, zooNet, ds);
    const b = await scoreChecked(name, o, imported, ds);
    expectSameScores(b, a, 1e-5);
  });
});

describe.each(Object.entries(graphZoo))(`graph zoo model %s (${backend})`, (model, { options, shape }) => {
  const ds = dataset(shape);
  let net: Net;

  beforeAll(() => {
    net = new Net(modelRegistry.create(model, options)(shape, CLASSES), SEED);
  });
  afterAll(() => net.dispose());

  it.each(configs)('$label scores it without leaks, the weights and running statistics untouched', async ({ name, options: o }) => {
    await scoreChecked(name, o, net, ds);
  });
});

describe(`an imported convnet with tanh, elu, average pooling and real batch-norm statistics (${backend})`, () => {
  const shape = [8, 8, 2];
  const ds = dataset(shape);
  let keras: tfl.Sequential;
  let net: Net;

  beforeAll(async () => {
    keras = unusualConvnet();
    net = new Net(await importTemp(keras, shape), SEED);
  });
  afterAll(() => {
    keras.dispose();
    net.dispose();
  });

  it.each(configs)('$label gives finite, deterministic scores without leaks', async ({ name, options: o }) => {
    const a = await scoreChecked(name, o, net, ds);
    const b = await scoreChecked(name, o, net, ds);
    expect(
      sameBits(
        b.map((l) => l.scores),
        a.map((l) => l.scores),
      ),
    ).toBe(true);
    expect(b.map((l) => l.unitScores)).toEqual(a.map((l) => l.unitScores));
  });

  it('taylor differentiates the network that is trained: |w dL/dw| by tf.variableGrads on Net.forward', async () => {
    const s = await scoreChecked('taylor', { batches: 2, batchSize: 8 }, net, ds);
    const batches = calibrationPositions(ds, SEED, 2, 8);
    const expected = net.params.map((p) => new Float64Array(p.kernel.size));
    for (const b of batches) {
      tf.tidy(() => {
        const xs = tf.tensor(gather(ds, b, shape), [b.length, ...shape]);
        const ys = tf.tensor1d(
          Array.from(b, (i) => ds.pools[0]!.y[i]!),
          'int32',
        );
        const { grads } = tf.variableGrads(
          () => crossEntropy(net.forward(xs), ys, CLASSES),
          net.params.map((p) => p.kernel),
        );
        net.params.forEach((p, l) => {
          const g = grads[p.kernel.name]!.dataSync();
          const w = p.kernel.dataSync();
          for (let i = 0; i < g.length; i++) expected[l]![i]! += Math.abs(g[i]! * w[i]!) / batches.length;
        });
      });
    }
    expectSameScores(
      s,
      net.params.map((p, l) => ({ name: p.name, shape: [...p.kernel.shape], scores: Float32Array.from(expected[l]!) })),
      1e-5,
    );
  });

  it("apoz reads a unit's output after the batch norm that follows its layer (the Keras model's own bn output)", async () => {
    const s = await scoreChecked('apoz', { batches: 2, batchSize: 8 }, net, ds);
    const positions = calibrationPositions(ds, SEED, 2, 8).flatMap((b) => Array.from(b));
    const upToBn = tfl.model({ inputs: keras.inputs, outputs: keras.getLayer('bn').output as tfl.SymbolicTensor });
    const zeros = tf.tidy(() => {
      const out = upToBn.predict(tf.tensor(gather(ds, positions, shape), [positions.length, ...shape])) as tf.Tensor;
      return tf.mean(tf.cast(tf.equal(out, 0), 'float32'), [0, 1, 2]).dataSync();
    });
    expectSameScores([s[0]!], [{ ...s[0]!, unitScores: Float32Array.from(zeros, (z) => 1 - z) }], 1e-6);
  });
});

function gather(ds: LoadedDataset, positions: ArrayLike<number>, shape: readonly number[]): Float32Array {
  const d = shape.reduce((a, b) => a * b, 1);
  const x = ds.pools[0]!.x;
  const out = new Float32Array(positions.length * d);
  for (let k = 0; k < positions.length; k++) out.set(x.subarray(positions[k]! * d, positions[k]! * d + d), k * d);
  return out;
}
