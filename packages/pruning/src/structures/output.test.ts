import { beforeAll, describe, expect, it } from 'vitest';
import { project } from '@prunelab/projection';
import { Net } from '@prunelab/models';
import { initBackend, tf } from '@prunelab/engine';
import { magnitudeScores, mlpArch } from '@prunelab/models/test-utils';
import { keepOutputUnits } from './output.js';

const unit = { kind: 'unit', reduce: 'l2' } as const;

beforeAll(async () => {
  await initBackend('cpu');
});

describe('keepOutputUnits', () => {
  it('adds the logits layer to exclude for unit structures only', () => {
    const before = tf.memory().numTensors;
    const net = new Net(mlpArch(), 0);
    try {
      expect(keepOutputUnits(net, { structure: unit, exclude: [] }).exclude).toEqual(['dense3']);
      expect(keepOutputUnits(net, { structure: unit, exclude: ['dense1'] }).exclude).toEqual(['dense1', 'dense3']);
      const already = { structure: unit, exclude: ['dense3'] };
      expect(keepOutputUnits(net, already)).toBe(already);
      for (const structure of [{ kind: 'unstructured' }, { kind: 'n:m', n: 2, m: 4 }, { kind: 'block', rows: 2, cols: 2 }]) {
        const p = { structure, exclude: [] };
        expect(keepOutputUnits(net, p)).toBe(p);
      }
    } finally {
      net.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps every class under global unit pruning even when the output units have the smallest norms', () => {
    const before = tf.memory().numTensors;
    const net = new Net(mlpArch(8, 3, [16, 12]), 0);
    try {
      // Shrink the output layer so that a global L2 ranking would remove its units first.
      const out = net.params[2]!;
      tf.tidy(() => out.kernel.assign(tf.mul(out.kernel, 1e-3)));
      const scores = magnitudeScores(net);
      const spec = { sparsity: 0.6, scope: 'global' as const, structure: unit };
      const plain = project(scores, { ...spec, exclude: [] });
      expect(plain.layers['dense3']!.keptUnits).toBeLessThan(3);
      const guarded = project(scores, { ...spec, exclude: [...keepOutputUnits(net, { structure: unit, exclude: [] }).exclude] });
      expect(Array.from(guarded.masks[2]!.mask).every((m) => m === 1)).toBe(true);
      expect(guarded.excluded).toEqual(['dense3']);
    } finally {
      net.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
