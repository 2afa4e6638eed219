import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@prunelab/engine';
import { architectureSize } from '../geometry.js';
import { Net } from '../net.js';
import { modelRegistry } from './all.js';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('vgg (network slimming\'s CIFAR VGG)', () => {
  it("VGG-19 has the 20.04M parameters of Liu et al. 2017's Table 1 (CIFAR-10 baseline)", () => {
    const before = tf.memory().numTensors;
    const arch = modelRegistry.create('vgg', { depth: 19 })([32, 32, 3], 10);
    const net = new Net(arch, 0);
    // 3x3 convs without bias, gamma and beta per channel, then 512 x 10 + 10.
    const widths = [64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512];
    const convs = widths.reduce((s, c, i) => s + 9 * (i === 0 ? 3 : widths[i - 1]!) * c, 0);
    const channels = widths.reduce((a, b) => a + b, 0);
    const trainable = net.variables().reduce((s, v) => s + v.size, 0);
    expect(trainable).toBe(convs + 2 * channels + 512 * 10 + 10);
    expect((trainable / 1e6).toFixed(2)).toBe('20.04');
    expect(net.totalParams()).toBe(trainable + 2 * channels);
    expect(architectureSize(arch).params).toBe(net.totalParams());
    expect(net.params.map((p) => p.name)).toEqual([...widths.map((_, i) => `conv${i + 1}`), 'dense1']);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('VGG-19 does 398.1M multiply-accumulates per 32x32 image; Liu et al. report 7.97e8 FLOPs, within 0.1% of twice that', () => {
    const { macs } = architectureSize(modelRegistry.create('vgg', { depth: 19 })([32, 32, 3], 10));
    // Per stage: output pixels x 9 x (in x out) summed over its convs.
    const byHand = 1024 * 9 * (3 * 64 + 64 * 64) + 256 * 9 * (64 * 128 + 128 * 128) + 64 * 9 * (128 * 256 + 3 * 256 * 256) + 16 * 9 * (256 * 512 + 3 * 512 * 512) + 4 * 9 * 4 * 512 * 512 + 512 * 10;
    expect(macs).toBe(byHand);
    expect(Math.abs(2 * macs - 7.97e8) / 7.97e8).toBeLessThan(1e-3);
  });

  it.each([11, 13, 16, 19])('VGG-%i ends in 2x2 maps on CIFAR, pooled globally into one dense classifier', (depth) => {
    const net = new Net(modelRegistry.create('vgg', { depth, width: 4 })([32, 32, 3], 10), 0);
    expect(net.params.length).toBe(depth - 2);
    expect(net.params.at(-2)!.outShape).toEqual([2, 2, 32]);
    expect(net.params.at(-1)!.kernel.shape).toEqual([32, 10]);
    expect(net.norms.length).toBe(depth - 3);
    net.dispose();
  });
});
