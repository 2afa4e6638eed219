import { beforeAll, describe, expect, it } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { loadDataset } from '@prunelab/datasets';
import { initBackend, tf } from '@prunelab/engine';
import { Net } from '@prunelab/models';
import { scorerRegistry } from './index.js';
import { smallOptions, snapshot, tinyConv } from './test-utils/fixtures.js';

const backend = (process.env['PRUNELAB_TEST_BACKEND'] ?? 'cpu') as 'cpu' | 'wasm';

beforeAll(async () => {
  await initBackend(backend);
});

async function cases(): Promise<Array<{ label: string; net: Net; ds: Awaited<ReturnType<typeof loadDataset>> }>> {
  const ds = await loadDataset({ name: 'synthetic', kind: 'teacher', layers: [6, 5, 3], trainSize: 64, valSize: 8, testSize: 8, seed: 1 });
  const mlp = new Net(
    {
      inputShape: [6],
      classes: 3,
      layers: [
        { kind: 'dense', units: 5, activation: 'relu' },
        { kind: 'dense', units: 3, activation: 'linear' },
      ],
    },
    2,
  );
  const conv = tinyConv();
  return [
    { label: 'mlp', net: mlp, ds },
    { label: 'conv', ...conv },
  ];
}

describe('registry', () => {
  it('has every scorer of the issue, and unknown names list them', () => {
    expect(scorerRegistry.names()).toEqual([
      'adversarial-taylor',
      'apoz',
      'entropy',
      'fisher',
      'l1-regularized',
      'magnitude',
      'mutual-information',
      'noise-sensitivity',
      'obd',
      'random',
      'snip',
      'taylor',
    ]);
    try {
      scorerRegistry.get('fishr');
      expect.unreachable();
    } catch (e) {
      expect(isPrunelabError(e) && e.code).toBe('E_UNKNOWN_NAME');
      expect((e as Error).message).toContain('fisher');
    }
    expect(() => scorerRegistry.create('fisher', { batches: 0 })).toThrow(/batches/);
  });
});

describe.each(scorerRegistry.list())(`scorer $name (${backend})`, (entry) => {
  it('documents its family, granularities and reference', () => {
    expect(['sparsity', 'robustness', 'information', 'baseline']).toContain(entry.family);
    expect(entry.granularities.length).toBeGreaterThan(0);
    expect(entry.reference.length).toBeGreaterThan(5);
  });
  it('gives finite scores of the right shapes, deterministically, without leaks or weight changes', async () => {
    for (const { net, ds } of await cases()) {
      const scorer = scorerRegistry.create(entry.name, smallOptions(entry));
      const before = snapshot(net);
      const tensors = tf.memory().numTensors;
      const a = await scorer.score({ net, ds, seed: 3 });
      expect(tf.memory().numTensors).toBe(tensors);
      expect(snapshot(net)).toEqual(before);
      expect(a.map((l) => l.name)).toEqual(net.params.map((p) => p.name));
      a.forEach((l, i) => {
        expect(l.shape).toEqual(net.params[i]!.kernel.shape);
        expect(l.scores.length).toBe(net.params[i]!.kernel.size);
        for (const v of l.scores) expect(Number.isFinite(v)).toBe(true);
        if (entry.granularities.length === 1 && entry.granularities[0] === 'unit') expect(l.unitScores?.length).toBe(l.shape.at(-1));
      });
      const b = await scorerRegistry.create(entry.name, smallOptions(entry)).score({ net, ds, seed: 3 });
      expect(b).toEqual(a);
      net.dispose();
    }
  });
});
