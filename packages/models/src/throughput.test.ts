import { describe, expect, it } from 'vitest';
import { tf } from '@prunelab/engine';
import { measureThroughput } from './throughput.js';
import { blobs, config, mlpArch } from './test-utils/fixtures.js';

describe('measureThroughput', () => {
  it('times real training steps, stops on its budget and leaks no tensors', async () => {
    const ds = await blobs();
    const before = tf.memory().numTensors;
    const small = measureThroughput(mlpArch(), ds, config({ batchSize: 16, epochs: 100 }), { budgetMs: 100 });
    expect(small.examplesPerSecond).toBeGreaterThan(0);
    expect(Number.isFinite(small.examplesPerSecond)).toBe(true);
    expect(small.steps).toBeGreaterThanOrEqual(3);
    // 100 epochs of 512 examples at batch 16 is 3,200 steps: the budget, not the config, ends it.
    expect(small.steps).toBeLessThan(3200);
    expect(small.evaluationMs).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});
