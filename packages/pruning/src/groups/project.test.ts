import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@prunelab/engine';
import { architectureSize, extractNet, modelRegistry, Net, netMetrics, type Architecture } from '@prunelab/models';
import { coupledGraphArch, magnitudeScores, randomizeAll } from '@prunelab/models/test-utils';
import { applyMasks, disposeMasks, masksFromArrays } from '../masks.js';
import { allMasks, projectNet } from './index.js';

/**
 * The unit structure on networks with coupled channels (DepGraph, Fang et al.
 * 2023): projectNet removes whole dependency groups' channels, and the
 * physically smaller network (extractNet) then computes the masked network's
 * function, and removes exactly the units the projection removed in each
 * layer. That second equality is the coupling check: a channel that met
 * others at an add, or fed a batch norm or depthwise conv, and was removed
 * from one member but not another would survive extraction.
 */

const NETS: Array<[string, () => Architecture, number[]]> = [
  ['ResNet-20, option A', () => modelRegistry.create('resnet', { depth: 20, width: 4, shortcut: 'A' })([8, 8, 3], 10), [8, 8, 3]],
  ['ResNet-20, option B', () => modelRegistry.create('resnet', { depth: 20, width: 4, shortcut: 'B' })([8, 8, 3], 10), [8, 8, 3]],
  ['VGG-16 with batch norm', () => modelRegistry.create('vgg', { depth: 16, width: 4 })([32, 32, 3], 10), [32, 32, 3]],
  ['a graph with concatenate, add, depthwise conv and zero padding', coupledGraphArch, [6, 6, 2]],
];

beforeAll(async () => {
  await initBackend('cpu');
});

describe.each(NETS)('unit pruning by dependency groups: %s', (_label, arch, shape) => {
  for (const [scope, sparsity] of [
    ['global', 0.5],
    ['layerwise', 0.3],
  ] as const) {
    it(`${scope} at ${sparsity}: the smaller network gives the masked one's logits (1e-5 relative), with fewer parameters`, () => {
      const before = tf.memory().numTensors;
      const net = new Net(arch(), 1);
      randomizeAll(net, 5);
      const r = projectNet(net, magnitudeScores(net), { sparsity, scope, structure: { kind: 'unit', reduce: 'l2' } });
      // Some units were removed, near the target (whole channels of whole groups round it).
      expect(r.achieved.overall).toBeGreaterThan(sparsity / 3);
      expect(r.achieved.overall).toBeLessThan(Math.min(0.95, sparsity * 1.7));
      // Output units the projection removed per layer (all-zero kernel columns): the extraction below must remove
      // exactly these. A channel masked in one member of its group but not in another would survive extraction.
      const projected = Object.fromEntries(
        net.params.map((p, i) => {
          const mask = r.masks[i]!.mask;
          const units = p.kernel.shape.at(-1)!;
          let gone = 0;
          for (let u = 0; u < units; u++) {
            let kept = false;
            for (let k = u; k < mask.length && !kept; k += units) kept = mask[k] !== 0;
            if (!kept) gone++;
          }
          return [p.name, gone];
        }),
      );
      const masks = masksFromArrays(net, allMasks(r));
      applyMasks(net, masks);
      disposeMasks(masks);

      const small = extractNet(net);
      const x = tf.randomNormal([6, ...shape], 0, 1, 'float32', 11);
      const [a, b] = tf.tidy(() => [net.forward(x).dataSync(), small.net.forward(x).dataSync()]);
      const scale = Math.max(...Array.from(a, Math.abs));
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      expect(worst / scale).toBeLessThan(1e-5);
      const count = (n: Net) => n.variables().reduce((s, v) => s + v.size, 0);
      expect(count(small.net)).toBeLessThan(count(net));
      // What the store reports for the point (netMetrics) is the smaller network's size: its parameters
      // (batch norms' 4 values per channel included) and its multiply-accumulates (no kept weight is 0 here).
      const metrics = netMetrics(net);
      const size = architectureSize(small.arch);
      expect(metrics.nonzeroTotal).toBe(size.params);
      expect(metrics.macsEffective).toBe(size.macs);
      expect(Object.values(small.removed).reduce((s, v) => s + v, 0)).toBeGreaterThan(0);
      expect(small.removed).toEqual(projected);

      x.dispose();
      small.net.dispose();
      net.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
