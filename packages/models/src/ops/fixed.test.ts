import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@prunelab/engine';
import { applyFixed, type FixedOp } from './fixed.js';


/** The gradient of sum(avgPool(x) * g) by hand: each window passes g / (its in-bounds count) to each value in it. */
function expectedGradient(h: number, w: number, size: number, stride: number, g: number[][]): number[][] {
  const outH = Math.ceil(h / stride);
  const outW = Math.ceil(w / stride);
  const top = Math.floor(Math.max((outH - 1) * stride + size - h, 0) / 2);
  const left = Math.floor(Math.max((outW - 1) * stride + size - w, 0) / 2);
  const dx = Array.from({ length: h }, () => new Array<number>(w).fill(0));
  for (let oy = 0; oy < outH; oy++)
    for (let ox = 0; ox < outW; ox++) {
      const ys = [...Array(size).keys()].map((k) => oy * stride - top + k).filter((y) => y >= 0 && y < h);
      const xs = [...Array(size).keys()].map((k) => ox * stride - left + k).filter((x) => x >= 0 && x < w);
      for (const y of ys) for (const x of xs) dx[y]![x]! += g[oy]![ox]! / (ys.length * xs.length);
    }
  return dx;
}

describe.each(['cpu', 'wasm'] as const)("average pooling with 'same' padding on %s", (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it.each([
    [5, 4, 3, 2],
    [4, 4, 2, 2],
    [6, 5, 3, 1],
  ])('%ix%i input, %i window, stride %i: the forward is tf.avgPool and the gradient is exact', (h, w, size, stride) => {
    const op: FixedOp = { type: 'pool', mode: 'avg', size: [size, size], stride: [stride, stride], padding: 'same' };
    const x = tf.tensor4d(
      Array.from({ length: h * w }, (_, i) => Math.sin(i + 1)),
      [1, h, w, 1],
    );
    const before = tf.memory().numTensors;
    const y = applyFixed(op, x);
    const reference = tf.avgPool(x, size, stride, 'same');
    const ref = reference.dataSync();
    y.dataSync().forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 6));
    const [outH, outW] = [y.shape[1]!, y.shape[2]!];
    const g = Array.from({ length: outH }, (_, i) => Array.from({ length: outW }, (_, j) => 1 + i * outW + j));
    const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(applyFixed(op, v), tf.tensor4d(g.flat(), [1, outH, outW, 1]))))(x);
    const want = expectedGradient(h, w, size, stride, g).flat();
    Array.from(dx.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    tf.dispose([y, reference, dx]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
