import { beforeAll, describe, expect, it } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { initBackend, tf } from '@prunelab/engine';
import { architectureSize } from '../geometry.js';
import { Net } from '../net.js';
import { modelRegistry } from './all.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/**
 * He et al. 2016, Table 6 (CIFAR-10): parameters of the networks with depth
 * 6n + 2, and our exact count of the same: 3x3 conv weights (no biases), batch
 * norms' gamma and beta, and the dense classifier with its bias, i.e. the
 * trainable parameters, as PyTorch and Torch count them.
 */
const table6: Array<[number, string]> = [
  [20, '0.27M'],
  [32, '0.46M'],
  [44, '0.66M'],
  [56, '0.85M'],
  [110, '1.7M'],
];

/** Trainable parameters of the option-A network, counted by hand: n blocks per stage, width 16, 3 input channels, 10 classes. */
function trainableByHand(depth: number): { trainable: number; bnChannels: number } {
  const n = (depth - 2) / 6;
  const convs = 3 * 3 * (3 * 16 + 2 * n * 16 * 16 + (16 * 32 + (2 * n - 1) * 32 * 32) + (32 * 64 + (2 * n - 1) * 64 * 64));
  const bnChannels = 16 + 2 * n * (16 + 32 + 64);
  return { trainable: convs + 2 * bnChannels + 64 * 10 + 10, bnChannels };
}

const trainable = (net: Net) => net.variables().reduce((s, v) => s + v.size, 0);

describe('resnet (He et al. 2016, CIFAR)', () => {
  it.each(table6)('ResNet-%i has the paper\'s %s parameters (option A)', (depth, paper) => {
    const before = tf.memory().numTensors;
    const arch = modelRegistry.create('resnet', { depth })([32, 32, 3], 10);
    const net = new Net(arch, 0);
    const { trainable: expected, bnChannels } = trainableByHand(depth);
    expect(trainable(net)).toBe(expected);
    const millions = expected / 1e6;
    expect(millions >= 1 ? `${millions.toFixed(1)}M` : `${millions.toFixed(2)}M`).toBe(paper);
    // The running statistics are parameters too in the totals (4 values per batch-norm channel, as Keras counts).
    expect(net.totalParams()).toBe(expected + 2 * bnChannels);
    expect(architectureSize(arch).params).toBe(net.totalParams());
    // 6n + 1 convolutions and the classifier; every conv is followed by a batch norm and has no bias.
    expect(net.params.map((p) => p.name)).toEqual([...Array.from({ length: depth - 1 }, (_, i) => `conv${i + 1}`), 'dense1']);
    expect(net.params.filter((p) => p.kind === 'conv2d').every((p) => p.bias === undefined)).toBe(true);
    expect(net.norms.length).toBe(depth - 1);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('ResNet-20 does 40.55M multiply-accumulates per 32x32 image, counted by hand', () => {
    const stage = (pixels: number, cin: number, c: number, n: number) => pixels * 9 * (cin * c + (2 * n - 1) * c * c);
    const byHand = 1024 * 9 * 3 * 16 + stage(1024, 16, 16, 3) + stage(256, 16, 32, 3) + stage(64, 32, 64, 3) + 64 * 10;
    expect(byHand).toBe(40_551_040);
    expect(architectureSize(modelRegistry.create('resnet', { depth: 20 })([32, 32, 3], 10)).macs).toBe(byHand);
  });

  it('option B adds a 1x1 conv + batch norm where a stage starts, and nothing where a block keeps its shape', () => {
    const net = new Net(modelRegistry.create('resnet', { depth: 20, shortcut: 'B' })([32, 32, 3], 10), 0);
    expect(trainable(net)).toBe(trainableByHand(20).trainable + 16 * 32 + 32 + 32 + 32 * 64 + 64 + 64);
    // Numbered after the block's two convs: stem conv1, stage 1 conv2-7, stage 2's first block conv8, conv9 and its shortcut conv10.
    const shortcuts = net.params.filter((p) => p.kernel.shape[0] === 1);
    expect(shortcuts.map((p) => [p.name, p.kernel.shape, p.outShape])).toEqual([
      ['conv10', [1, 1, 16, 32], [16, 16, 32]],
      ['conv17', [1, 1, 32, 64], [8, 8, 64]],
    ]);
    net.dispose();
  });

  it("option A's shortcut subsamples by 2 and pads the new channels with zeros, half before and half after", () => {
    const arch = modelRegistry.create('resnet', { depth: 20, width: 2 })([4, 4, 1], 2);
    const i = arch.layers.findIndex((l) => l.kind === 'zeroPad');
    expect(arch.layers[i - 1]).toMatchObject({ kind: 'maxpool', size: 1, stride: 2, inputs: ['stage1.block3'] });
    expect(arch.layers[i]).toMatchObject({ channels: [1, 1], name: 'stage2.block1.shortcut' });
    expect(arch.layers[i + 1]).toEqual({ kind: 'add', inputs: ['stage2.block1.main', 'stage2.block1.shortcut'] });
  });

  it('is a user error on inputs that are not images, and for a depth the paper does not have', () => {
    const errorOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isPrunelabError(e) ? [e.code, e.problem] : e;
      }
      return undefined;
    };
    expect(errorOf(() => modelRegistry.create('resnet', {})([784], 10))).toEqual(['E_CONFIG_INVALID', expect.stringContaining('resnet needs images')]);
    expect(errorOf(() => modelRegistry.create('resnet', { depth: 18 }))).toEqual(['E_CONFIG_INVALID', expect.stringContaining('expected one of 20|32|44|56|110')]);
  });
});
