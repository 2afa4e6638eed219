import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeStatus } from './addon.js';
import { registerNativeKernels } from './kernels.js';
import { registerWasmTrainingKernels } from '../wasm/register.js';
import { convCases, expectClose, randomArray } from '../wasm/test-utils/helpers.js';

// Each native kernel against the cpu backend's, over the shapes, strides and
// paddings the wasm kernel tests use: forward values and both gradients within 1e-4.
const status = nativeStatus();

type Shape4 = [number, number, number, number];

async function onBoth(run: () => tf.Tensor): Promise<{ cpu: Float32Array; native: Float32Array }> {
  await tf.setBackend('cpu');
  const c = run();
  const cpu = (await c.data()) as Float32Array;
  c.dispose();
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const n = run();
  const native = (await n.data()) as Float32Array;
  n.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return { cpu, native };
}

describe.skipIf(!status.available)('native kernels on the wasm backend', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    registerWasmTrainingKernels({ replaceSlowKernels: true });
    if (!status.available) return;
    registerNativeKernels(status.addon);
    const first = tf.getKernel('Conv2D', 'wasm');
    registerNativeKernels(status.addon);
    expect(tf.getKernel('Conv2D', 'wasm')).toBe(first);
  });

  it.each(convCases.map((c, i) => [JSON.stringify(c), c, i] as const))('Conv2D and both gradients match cpu: %s', async (_n, c, i) => {
    const xShape: Shape4 = [c.b, c.h, c.w, c.ci];
    const fShape: Shape4 = [c.kh, c.kw, c.ci, c.co];
    const x = randomArray(tf.util.sizeFromShape(xShape), 10 + i);
    const f = randomArray(tf.util.sizeFromShape(fShape), 20 + i);
    const info = tf.backend_util.computeConv2DInfo(xShape, fShape, c.s, 1, c.pad);
    const dy = randomArray(tf.util.sizeFromShape(info.outShape), 30 + i);
    const fwd = await onBoth(() => tf.tidy(() => tf.conv2d(tf.tensor4d(x, xShape), tf.tensor4d(f, fShape), c.s, c.pad)));
    expectClose(fwd.native, fwd.cpu);
    const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC' as const };
    const dx = await onBoth(() =>
      tf.tidy(
        () =>
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropInput',
              { dy: tf.tensor(dy, info.outShape), filter: tf.tensor4d(f, fShape) },
              { ...attrs, inputShape: xShape },
            ) as tf.Tensor,
      ),
    );
    expectClose(dx.native, dx.cpu);
    const dw = await onBoth(() =>
      tf.tidy(
        () =>
          tf
            .engine()
            .runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(x, xShape), dy: tf.tensor(dy, info.outShape) }, { ...attrs, filterShape: fShape }) as tf.Tensor,
      ),
    );
    expectClose(dw.native, dw.cpu);
  });

  it.each([
    { a: [60, 784], b: [784, 300], ta: false, tb: false },
    { a: [60, 784], b: [60, 300], ta: true, tb: false },
    { a: [60, 300], b: [784, 300], ta: false, tb: true },
    { a: [17, 5], b: [9, 17], ta: true, tb: true },
    { a: [3, 7, 5], b: [3, 5, 4], ta: false, tb: false },
    { a: [3, 7, 5], b: [5, 4], ta: false, tb: false },
    { a: [2, 3, 7, 5], b: [1, 5, 4], ta: false, tb: false },
  ])('BatchMatMul matches cpu: $a x $b (transposes $ta, $tb)', async ({ a, b, ta, tb }) => {
    const av = randomArray(tf.util.sizeFromShape(a), 1);
    const bv = randomArray(tf.util.sizeFromShape(b), 2);
    const r = await onBoth(() => tf.tidy(() => tf.matMul(tf.tensor(av, a), tf.tensor(bv, b), ta, tb)));
    expectClose(r.native, r.cpu);
  });

  it.each(['linear', 'relu', 'relu6', 'elu', 'sigmoid'] as const)('_FusedMatMul with a bias and %s matches cpu', async (activation) => {
    const av = randomArray(8 * 6, 3);
    const bv = randomArray(6 * 5, 4);
    const bias = randomArray(5, 5);
    const r = await onBoth(() =>
      tf.tidy(() => tf.fused.matMul({ a: tf.tensor2d(av, [8, 6]), b: tf.tensor2d(bv, [6, 5]), bias: tf.tensor1d(bias), activation })),
    );
    expectClose(r.native, r.cpu);
  });

  it('gradients of a small convnet through the native kernels match cpu', async () => {
    const x = randomArray(4 * 12 * 12 * 2, 7);
    const f = randomArray(3 * 3 * 2 * 4, 8);
    const w = randomArray(6 * 6 * 4 * 3, 9);
    const r = await onBoth(() =>
      tf.tidy(() => {
        const loss = (fi: tf.Tensor, wi: tf.Tensor) => {
          const h = tf.relu(tf.conv2d(tf.tensor4d(x, [4, 12, 12, 2]), fi as tf.Tensor4D, 2, 'same'));
          return tf.sum(tf.square(tf.matMul(tf.reshape(h, [4, 144]), wi as tf.Tensor2D)));
        };
        const [gf, gw] = tf.grads(loss)([tf.tensor4d(f, [3, 3, 2, 4]), tf.tensor2d(w, [144, 3])]);
        return tf.concat([tf.reshape(gf!, [-1]), tf.reshape(gw!, [-1])]);
      }),
    );
    expectClose(r.native, r.cpu);
  });
});
