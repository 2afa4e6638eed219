import { beforeAll, describe, expect, it } from 'vitest';
import { isProjectionError, project, type Structure } from '@prunelab/projection';
import { initBackend, tf } from '@prunelab/engine';
import { extractNet, modelRegistry, Net, netMetrics, type Architecture } from '@prunelab/models';
import { magnitudeScores, randomize } from '@prunelab/models/test-utils';
import { structureRegistry } from './all.js';
import { keepOutputUnits } from './output.js';

beforeAll(async () => {
  await initBackend('cpu');
});

// Generated from the structure registry: for every structure, the parameters
// and MACs a curve point reports equal those of the model `extractNet` builds
// (issue 13: at 90% unit sparsity of a 784-128-10 MLP the store said 11,610
// nonzero parameters while the extracted model has 10,345).
const examples: Record<string, Record<string, unknown>> = { 'n:m': { n: 2, m: 4 }, block: { rows: 2, cols: 2 } };

const models: Array<[string, Architecture]> = [
  ['mlp 784-128-10', modelRegistry.create('mlp', { hidden: [128] })([28, 28, 1], 10)],
  ['lenet-5 classic', modelRegistry.create('lenet-5', { preset: 'classic' })([28, 28, 1], 10)],
];

/**
 * Prunes `net` in place to `sparsity` under `structure` by weight magnitude, as
 * the worker does (unit structures keep the logits). A layer the structure
 * cannot tile (LeNet-5's one-channel conv1 under n:m or 2x2 blocks) is
 * excluded, as the projection's error tells a user to do.
 */
function prune(net: Net, structure: Structure, sparsity: number): string[] {
  const exclude = [...keepOutputUnits(net, { structure, exclude: [] as string[] }).exclude];
  const solve = (): ReturnType<typeof project> => {
    try {
      return project(magnitudeScores(net), { sparsity, scope: 'global', structure, exclude });
    } catch (e) {
      if (!isProjectionError(e) || e.code !== 'E_PROJECTION_GROUP' || e.layer === undefined || exclude.includes(e.layer)) throw e;
      exclude.push(e.layer);
      return solve();
    }
  };
  const r = solve();
  for (const [i, p] of net.params.entries()) {
    const m = r.masks[i]!.mask;
    tf.tidy(() => p.kernel.assign(tf.mul(p.kernel, tf.tensor(Float32Array.from(m), p.kernel.shape))));
  }
  return exclude;
}

/** Counted directly on the extracted Net: all its parameters minus the zeros of its prunable kernels, and its nonzero MACs. */
function extractedCounts(small: Net, exclude: readonly string[]): { params: number; macs: number } {
  let zeros = 0;
  let macs = 0;
  for (const p of small.params) {
    const w = p.kernel.dataSync();
    let nz = 0;
    for (let j = 0; j < w.length; j++) if (w[j] !== 0) nz++;
    macs += nz * p.outPixels;
    if (!exclude.includes(p.name)) zeros += w.length - nz;
  }
  return { params: small.totalParams() - zeros, macs };
}

describe.each(structureRegistry.list())('counting under structure $name', (entry) => {
  const structure = structureRegistry.create(entry.name, examples[entry.name] ?? {});
  // 0.99 leaves fewer units than LeNet-5 has layers; weight-level structures go there, where whole units die.
  const sparsities = entry.granularity === 'unit' ? [0.5, 0.9, 0.95] : [0.5, 0.9, 0.99];
  describe.each(models)('%s', (label, arch) => {
    it.each(sparsities)("at sparsity %s: nonzero parameters and effective MACs are the extracted model's", (sparsity) => {
      const before = tf.memory().numTensors;
      const net = new Net(arch, 1);
      randomize(net, 11);
      const exclude = prune(net, structure, sparsity);
      const metrics = netMetrics(net, exclude);
      const { net: small, removed } = extractNet(net);
      // The cases where units are removed are the ones that test the count: unit pruning, and unstructured global 99% on the MLP.
      if (entry.granularity === 'unit' || (entry.name === 'unstructured' && sparsity === 0.99 && label.startsWith('mlp'))) {
        expect(Object.values(removed).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      }
      expect(small.params.map((p) => p.name)).toEqual(net.params.map((p) => p.name));
      const counted = extractedCounts(small, exclude);
      expect(metrics.nonzeroTotal).toBe(counted.params);
      expect(metrics.macsEffective).toBe(counted.macs);
      // Unit structures leave no zero inside a kept unit: the count is the extracted model's size.
      if (entry.granularity === 'unit') expect(metrics.nonzeroTotal).toBe(small.totalParams());
      small.dispose();
      net.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

describe('nonzero parameters', () => {
  it('at 90% unit sparsity of a 784-128-10 MLP are the 10,345 of the extracted model (13 of 128 hidden units kept)', () => {
    const net = new Net(models[0]![1], 1);
    randomize(net, 11);
    const exclude = prune(net, structureRegistry.create('unit', {}), 0.9);
    const m = netMetrics(net, exclude);
    expect(m.sparsity).toBe(1 - 13 / 128);
    // 784*13 kernel + 13 biases + 13*10 output kernel + 10 output biases.
    expect(m.nonzeroTotal).toBe(784 * 13 + 13 + 13 * 10 + 10);
    expect(m.totalParams).toBe(784 * 128 + 128 + 128 * 10 + 10);
    net.dispose();
  });

  it('under weight-level structures are every parameter but the prunable zeros while no unit is wholly zero (Blalock et al. 2020)', () => {
    const net = new Net(models[1]![1], 1);
    randomize(net, 11);
    prune(net, structureRegistry.create('unstructured', {}), 0.5);
    const m = netMetrics(net);
    expect(m.nonzeroTotal).toBe(m.totalParams - (m.prunableParams - m.nonzeroParams));
    net.dispose();
  });

  it('drop a unit that unstructured pruning zeroed whole, with its bias and the weights reading from it', () => {
    const net = new Net(models[0]![1], 1);
    randomize(net, 11);
    prune(net, structureRegistry.create('unstructured', {}), 0.5);
    const hidden = net.params[0]!;
    // Zero hidden unit 5's incoming column: its outgoing 10 weights and its bias can no longer change a logit (ReLU(bias) folds into the output bias).
    tf.tidy(() => {
      const mask = Float32Array.from({ length: hidden.kernel.size }, (_, j) => (j % 128 === 5 ? 0 : 1));
      hidden.kernel.assign(tf.mul(hidden.kernel, tf.tensor(mask, hidden.kernel.shape)));
    });
    const m = netMetrics(net);
    const output = net.params[1]!.kernel.dataSync();
    let deadOut = 0;
    for (let o = 0; o < 10; o++) if (output[5 * 10 + o] !== 0) deadOut++;
    expect(m.nonzeroTotal).toBe(m.totalParams - (m.prunableParams - m.nonzeroParams) - 1 - deadOut);
    net.dispose();
  });
});
