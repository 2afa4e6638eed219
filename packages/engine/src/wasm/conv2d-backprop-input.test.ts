import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core alone registers no gradients; tfjs-layers' Node bundle registers all of them.
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeConv2DBackpropFilterWasm } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputWasmConfig, makeConv2DBackpropInputWasm } from './conv2d-backprop-input.js';
import { registerWasmTrainingKernels } from './register.js';
import { convCases, expectClose, randomArray } from './test-utils/helpers.js';

type Shape4 = [number, number, number, number];

describe('fast Conv2DBackpropInput on wasm (opt-in)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    // After setBackend on purpose: replacing a kernel must work on a live backend.
    registerWasmTrainingKernels({ replaceSlowKernels: true });
  });

  it('replaces the built-in kernel, idempotently', () => {
    registerWasmTrainingKernels({ replaceSlowKernels: true });
    registerWasmTrainingKernels();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(conv2DBackpropInputWasmConfig);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it.each(convCases.map((c, i) => [JSON.stringify(c), c, i] as const))('matches the cpu kernel, one block and many: %s', async (_name, c, i) => {
    const inputShape: Shape4 = [c.b, c.h, c.w, c.ci];
    const filterShape: Shape4 = [c.kh, c.kw, c.ci, c.co];
    const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, c.s, 1, c.pad);
    const dyData = randomArray(tf.util.sizeFromShape(info.outShape), 300 + i);
    const wData = randomArray(tf.util.sizeFromShape(filterShape), 400 + i);
    const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', inputShape } as const;

    await tf.setBackend('cpu');
    const dyc = tf.tensor(dyData, info.outShape);
    const wc = tf.tensor(wData, filterShape);
    const ref = tf.engine().runKernel('Conv2DBackpropInput', { dy: dyc, filter: wc }, attrs) as tf.Tensor;
    const expected = (await ref.data()) as Float32Array;
    tf.dispose([dyc, wc, ref]);

    await tf.setBackend('wasm');
    const dyw = tf.tensor(dyData, info.outShape);
    const ww = tf.tensor(wData, filterShape);
    const before = tf.memory();
    const k = c.kh * c.kw * c.ci;
    for (const block of [1, 5 * k, 1e9]) {
      const outInfo = makeConv2DBackpropInputWasm(block)({
        inputs: { dy: dyw, filter: ww },
        backend: tf.backend(),
        attrs,
      }) as tf.TensorInfo;
      const out = tf.engine().makeTensorFromTensorInfo(outInfo);
      expect(out.shape).toEqual(inputShape);
      expectClose((await out.data()) as Float32Array, expected);
      out.dispose();
    }
    // No leaked tensors or wasm buffers (including the XNNPACK weights copy).
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    tf.dispose([dyw, ww]);
  });

  it('gives the same tf.grads as cpu through the registered kernel, without leaks', async () => {
    const c = { b: 3, h: 9, w: 8, ci: 3, co: 4, k: 3 };
    const run = async (backend: 'cpu' | 'wasm'): Promise<Float32Array> => {
      await tf.setBackend(backend);
      const x = tf.tensor4d(randomArray(c.b * c.h * c.w * c.ci, 1), [c.b, c.h, c.w, c.ci]);
      const w = tf.tensor4d(randomArray(c.k * c.k * c.ci * c.co, 2), [c.k, c.k, c.ci, c.co]);
      const before = tf.memory().numTensors;
      const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.square(tf.conv2d(xx as tf.Tensor4D, w, 2, 'same'))))(x);
      const out = (await g.data()) as Float32Array;
      g.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, w]);
      return out;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expectClose(wasm, cpu);
  });

  it('supports dilations when called directly (adjoint identities with wasm Conv2D)', async () => {
    await tf.setBackend('wasm');
    const xShape: Shape4 = [2, 10, 9, 3];
    const filterShape: Shape4 = [3, 3, 3, 4];
    for (const pad of ['same', 'valid'] as const) {
      const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, 1, [2, 2], pad);
      const x = tf.tensor4d(randomArray(tf.util.sizeFromShape(xShape), 81), xShape);
      const w = tf.tensor4d(randomArray(tf.util.sizeFromShape(filterShape), 82), filterShape);
      const dy = tf.tensor4d(randomArray(tf.util.sizeFromShape(info.outShape), 83), info.outShape as Shape4);
      const dxInfo = makeConv2DBackpropInputWasm()({
        inputs: { dy, filter: w },
        backend: tf.backend(),
        attrs: { strides: 1, pad, dataFormat: 'NHWC', inputShape: xShape, dilations: [2, 2] },
      }) as tf.TensorInfo;
      const dwInfo = makeConv2DBackpropFilterWasm()({
        inputs: { x, dy },
        backend: tf.backend(),
        attrs: { strides: 1, pad, dataFormat: 'NHWC', filterShape, dilations: [2, 2] },
      }) as tf.TensorInfo;
      const dx = tf.engine().makeTensorFromTensorInfo(dxInfo);
      const dw = tf.engine().makeTensorFromTensorInfo(dwInfo);
      // <conv(x, w), dy> = <x, dx(dy, w)> = <w, dw(x, dy)>
      const [lhs, viaDx, viaDw] = await Promise.all(
        [tf.sum(tf.mul(tf.conv2d(x, w, 1, pad, 'NHWC', [2, 2]), dy)), tf.sum(tf.mul(x, dx)), tf.sum(tf.mul(w, dw))].map(async (t) => {
          const v = (await t.data())[0] as number;
          t.dispose();
          return v;
        }),
      );
      expect(Math.abs((viaDx as number) - (lhs as number))).toBeLessThan(1e-4 * Math.abs(lhs as number) + 1e-3);
      expect(Math.abs((viaDw as number) - (lhs as number))).toBeLessThan(1e-4 * Math.abs(lhs as number) + 1e-3);
      tf.dispose([x, w, dy, dx, dw]);
    }
  });
});
