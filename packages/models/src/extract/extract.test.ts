import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@prunelab/engine';
import type { Architecture } from '../architecture.js';
import { Net } from '../net.js';
import { netMetrics } from '../metrics.js';
import { modelRegistry } from '../zoo/all.js';
import { extractNet } from './extract.js';
import { exportModelJson } from './export.js';
import { maxAbsDiff, randomize, unitPrune } from '../test-utils/fixtures.js';

const dirs: string[] = [];
beforeAll(async () => {
  await initBackend('cpu');
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cases: Array<[string, Architecture, number[]]> = [
  ['mlp lenet-300-100', modelRegistry.create('mlp', { preset: 'lenet-300-100' })([28, 28, 1], 10), [28, 28, 1]],
  ['lenet-5 caffe', modelRegistry.create('lenet-5', { preset: 'caffe' })([28, 28, 1], 10), [28, 28, 1]],
  ['lenet-5 classic', modelRegistry.create('lenet-5', { preset: 'classic' })([28, 28, 1], 10), [28, 28, 1]],
  // 'same' padding: removed filters with a nonzero constant output must be kept for exactness.
  ['conv-small (same padding)', modelRegistry.create('conv-small', { widths: [6, 8], dense: [10] })([8, 8, 3], 4), [8, 8, 3]],
];

describe.each(cases)('extraction of %s', (_label, arch, shape) => {
  it.each([0.3, 0.6])('unit sparsity %s: smaller net, same outputs (1e-5), effective MACs = extracted dense MACs', (sparsity) => {
    const before = tf.memory().numTensors;
    const net = new Net(arch, 1);
    randomize(net, 42);
    unitPrune(net, sparsity);
    const { net: small, removed } = extractNet(net);
    expect(Object.values(removed).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(small.totalParams()).toBeLessThan(net.totalParams());
    // The output layer keeps every class logit.
    expect(small.arch.classes).toBe(arch.classes);
    const x = tf.randomNormal([4, ...shape], 0, 1, 'float32', 3);
    const [a, b] = [net.forward(x), small.forward(x)];
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    tf.dispose([x, a, b]);
    // Units kept only because they are outputs (or feed a 'same' conv with a nonzero constant) are all-zero columns.
    expect(netMetrics(net).macsEffective).toBe(netMetrics(small).macsEffective);
    expect(netMetrics(net).macsEffective).toBeLessThan(netMetrics(net).macsDense);
    small.dispose();
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('effective MACs under unit pruning', () => {
  it('equal the dense MACs of the extracted LeNet-300-100 when the output layer is not pruned', () => {
    const net = new Net(cases[0]![1], 3);
    randomize(net, 5);
    unitPrune(net, 0.5, ['dense3']);
    const { net: small } = extractNet(net);
    // 784*150 + 150*50 + 50*10
    expect(netMetrics(small).macsDense).toBe(784 * 150 + 150 * 50 + 50 * 10);
    expect(netMetrics(net).macsEffective).toBe(netMetrics(small).macsDense);
    small.dispose();
    net.dispose();
  });
});

describe('export', () => {
  it('writes model.json + weights.bin that re-import to the same function', async () => {
    const arch = modelRegistry.create('lenet-5', { preset: 'classic' })([28, 28, 1], 10);
    const net = new Net(arch, 2);
    randomize(net, 7);
    unitPrune(net, 0.5);
    const { net: small } = extractNet(net);
    const dir = mkdtempSync(join(tmpdir(), 'prunelab-export-'));
    dirs.push(dir);
    const before = tf.memory().numTensors;
    await exportModelJson(small, dir);
    expect(tf.memory().numTensors).toBe(before);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
    expect(json.weightsManifest[0]!.paths).toEqual(['weights.bin']);
    const back = new Net(modelRegistry.create('tfjs', { path: dir })([28, 28, 1], 10), 0);
    expect(back.params.map((p) => p.kernel.shape)).toEqual(small.params.map((p) => p.kernel.shape));
    const x = tf.randomNormal([3, 28, 28, 1], 0, 1, 'float32', 4);
    const [a, b] = [net.forward(x), back.forward(x)];
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    tf.dispose([x, a, b]);
    for (const n of [net, small, back]) n.dispose();
  });
});
