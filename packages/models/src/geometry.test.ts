import { describe, expect, it } from 'vitest';
import { tf } from '@prunelab/engine';
import { architectureSize, windowOut } from './geometry.js';
import type { Architecture } from './architecture.js';
import { Net } from './net.js';
import { modelRegistry } from './zoo/all.js';

// The shape-only counts must agree with a built Net: parameters with
// totalParams(), MACs with sum(kernel size x output pixels) over weight layers.
function built(arch: Architecture): { params: number; macs: number } {
  const net = new Net(arch, 0);
  try {
    return { params: net.totalParams(), macs: net.params.reduce((s, p) => s + p.kernel.size * p.outPixels, 0) };
  } finally {
    net.dispose();
  }
}

const zoo: Array<[string, Record<string, unknown>, number[]]> = [
  ['mlp', { preset: 'lenet-300-100' }, [28, 28, 1]],
  ['lenet-5', { preset: 'caffe' }, [28, 28, 1]],
  ['lenet-5', { preset: 'classic' }, [28, 28, 1]],
  ['conv-small', {}, [32, 32, 3]],
];

describe('architectureSize', () => {
  it.each(zoo)('%s %o on %o matches the built network', (name, options, shape) => {
    const before = tf.memory().numTensors;
    const arch = modelRegistry.create(name, options)(shape, 10);
    expect(architectureSize(arch)).toEqual(built(arch));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('follows the shapes through carried-along layers of an imported model (pooling, folded batch norm)', () => {
    const arch: Architecture = {
      inputShape: [8, 8, 2],
      classes: 3,
      layers: [
        { kind: 'conv2d', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'linear' },
        { kind: 'fixed', op: { type: 'affine', scale: [1, 1, 1, 1], offset: [0, 0, 0, 0] } },
        { kind: 'fixed', op: { type: 'pool', mode: 'max', size: [2, 2], stride: [2, 2], padding: 'valid' } },
        { kind: 'flatten' },
        { kind: 'dense', units: 3, activation: 'linear' },
      ],
    };
    const size = architectureSize(arch);
    expect(size).toEqual(built(arch));
    // conv 3*3*2*4 = 72 weights over 64 pixels; dense (4*4*4 = 64) x 3.
    expect(size.macs).toBe(72 * 64 + 64 * 3);
  });
});

describe('windowOut', () => {
  it("gives tfjs' own output size for every input, window, stride and padding up to 12", () => {
    for (let n = 1; n <= 12; n++) {
      for (let k = 1; k <= n; k++) {
        for (let stride = 1; stride <= 4; stride++) {
          for (const padding of ['same', 'valid'] as const) {
            const info = tf.backend_util.computePool2DInfo([1, n, n, 1], [k, k], [stride, stride], 1, padding);
            expect(windowOut(n, k, stride, padding), `n=${n} k=${k} stride=${stride} ${padding}`).toBe(info.outHeight);
          }
        }
      }
    }
  });
});
