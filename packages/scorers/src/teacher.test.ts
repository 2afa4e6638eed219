import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type Teacher } from '@prunelab/datasets';
import { initBackend } from '@prunelab/engine';
import { modelRegistry, Net, train, trainingSchema } from '@prunelab/models';
import { scorerRegistry } from './index.js';

/**
 * Planted support: a sparse linear teacher (layers [inputs, classes], no
 * hidden layer, so the student's weights are identifiable: a hidden layer
 * would be learned up to a permutation of its units) labels Gaussian inputs;
 * a dense student of the same architecture is trained on it; each scorer
 * keeps the teacher's number of weights and we measure
 * overlap = |kept ∩ support| / |support|. Random keeps ~density of the support.
 */
beforeAll(async () => {
  await initBackend('cpu');
});

function overlap(scores: Float32Array, mask: Uint8Array): number {
  const k = mask.reduce((a, b) => a + b, 0);
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
  let hit = 0;
  for (let i = 0; i < k; i++) hit += mask[order[i]!]!;
  return hit / k;
}

describe('planted teacher', () => {
  it('magnitude, fisher and taylor recover the support far better than random', async () => {
    const ds = await loadDataset({
      name: 'synthetic',
      kind: 'teacher',
      layers: [32, 4],
      teacherSparsity: 0.75,
      trainSize: 4000,
      valSize: 100,
      testSize: 100,
      seed: 4,
    });
    const teacher = ds.extras!['teacher'] as Teacher;
    const arch = modelRegistry.create('mlp', { hidden: [] })(ds.shape, ds.classes);
    const net = new Net(arch, 1);
    train(net, ds, trainingSchema.parse({ epochs: 3, batchSize: 50, lr: 0.01 }), { seed: 1 });
    const mask = teacher.layers[0]!.mask;
    const result: Record<string, number> = {};
    for (const name of ['random', 'magnitude', 'fisher', 'taylor']) {
      const [layer] = await scorerRegistry.create(name, {}).score({ net, ds, seed: 1 });
      result[name] = overlap(layer!.scores, mask);
    }
    console.log('planted-teacher overlaps', JSON.stringify(result));
    for (const name of ['magnitude', 'fisher', 'taylor']) expect(result[name]!).toBeGreaterThanOrEqual(result['random']! + 0.15);
    net.dispose();
  });
});
