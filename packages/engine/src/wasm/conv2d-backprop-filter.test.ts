import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core alone registers no gradients; tfjs-layers' Node bundle registers all of them.
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2DBackpropFilterWasmConfig, makeConv2DBackpropFilterWasm } from './conv2d-backprop-filter.js';
import { registerWasmTrainingKernels, wasmTrainingKernelConfigs } from './register.js';
import { convCases, expectClose, randomArray, type ConvCase } from './test-utils/helpers.js';

type Case = ConvCase;

/** dW and dX of sum(conv2d(x, w) * r) on `backend`. */
async function convGrads(backend: 'cpu' | 'wasm', c: Case, seed: number): Promise<{ dw: Float32Array; dx: Float32Array }> {
  await tf.setBackend(backend);
  const xShape: [number, number, number, number] = [c.b, c.h, c.w, c.ci];
  const wShape: [number, number, number, number] = [c.kh, c.kw, c.ci, c.co];
  const info = tf.backend_util.computeConv2DInfo(xShape, wShape, c.s, 1, c.pad);
  const [dw, dx] = tf.tidy(() => {
    const x = tf.tensor4d(randomArray(c.b * c.h * c.w * c.ci, seed), xShape);
    const w = tf.tensor4d(randomArray(c.kh * c.kw * c.ci * c.co, seed + 1), wShape);
    const r = tf.tensor(randomArray(tf.util.sizeFromShape(info.outShape), seed + 2), info.outShape);
    const f = (xx: tf.Tensor, ww: tf.Tensor): tf.Tensor => tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.s, c.pad), r));
    const [gx, gw] = tf.grads(f)([x, w]);
    return [gw as tf.Tensor, gx as tf.Tensor];
  });
  const out = { dw: (await dw.data()) as Float32Array, dx: (await dx.data()) as Float32Array };
  dw.dispose();
  dx.dispose();
  return out;
}

const cases = convCases;

describe('Conv2DBackpropFilter on wasm', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
    await tf.ready();
  });

  it('is registered, and registration is idempotent', () => {
    registerWasmTrainingKernels();
    registerWasmTrainingKernels();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBe(conv2DBackpropFilterWasmConfig);
    expect(wasmTrainingKernelConfigs).toContain(conv2DBackpropFilterWasmConfig);
  });

  it.each(cases.map((c, i) => [JSON.stringify(c), c, i] as const))('matches cpu gradients: %s', async (_name, c, i) => {
    const seed = 1000 + 17 * i;
    const cpu = await convGrads('cpu', c, seed);
    const wasm = await convGrads('wasm', c, seed);
    expectClose(wasm.dw, cpu.dw);
    // Conv2DBackpropInput ships with wasm; check it agrees too, since training needs both.
    expectClose(wasm.dx, cpu.dx);
  });

  it('does not leak tensors or wasm buffers', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(randomArray(2 * 9 * 9 * 3, 7), [2, 9, 9, 3]);
    const w = tf.variable(tf.tensor4d(randomArray(3 * 3 * 3 * 4, 8), [3, 3, 3, 4]));
    const before = tf.memory();
    for (const [s, pad] of [
      [1, 'same'],
      [2, 'valid'],
      [1, 'valid'],
    ] as const) {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.conv2d(x, w, s, pad))), [w]);
      value.dispose();
      tf.dispose(grads);
    }
    // Also the multi-block path, called directly.
    const dy = tf.tensor4d(randomArray(2 * 9 * 9 * 4, 9), [2, 9, 9, 4]);
    const before2 = tf.memory();
    const info = makeConv2DBackpropFilterWasm(50)({
      inputs: { x, dy },
      backend: tf.backend(),
      attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] },
    }) as tf.TensorInfo;
    tf.engine().makeTensorFromTensorInfo(info).dispose();
    const after = tf.memory();
    expect(after.numTensors).toBe(before2.numTensors);
    expect(after.numDataBuffers).toBe(before2.numDataBuffers);
    dy.dispose();
    const end = tf.memory();
    expect(end.numTensors).toBe(before.numTensors);
    expect(end.numDataBuffers).toBe(before.numDataBuffers);
    expect(end.numBytes).toBe(before.numBytes);
    x.dispose();
    w.dispose();
  });

  it('multi-block im2col (row-chunked) gives the same result as the cpu kernel', async () => {
    for (const [idx, c] of [cases[2], cases[7], cases[14]].entries()) {
      if (c === undefined) continue;
      const xShape: [number, number, number, number] = [c.b, c.h, c.w, c.ci];
      const filterShape: [number, number, number, number] = [c.kh, c.kw, c.ci, c.co];
      const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, c.s, 1, c.pad);
      const xData = randomArray(tf.util.sizeFromShape(xShape), 50 + idx);
      const dyData = randomArray(tf.util.sizeFromShape(info.outShape), 60 + idx);
      const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', filterShape } as const;

      await tf.setBackend('cpu');
      const xc = tf.tensor(xData, xShape);
      const dyc = tf.tensor(dyData, info.outShape);
      const ref = tf.engine().runKernel('Conv2DBackpropFilter', { x: xc, dy: dyc }, attrs) as tf.Tensor;
      const expected = (await ref.data()) as Float32Array;
      tf.dispose([xc, dyc, ref]);

      await tf.setBackend('wasm');
      const xw = tf.tensor(xData, xShape);
      const dyw = tf.tensor(dyData, info.outShape);
      // Block sizes that split rows unevenly, down to one row per block.
      for (const block of [1, 7 * c.kh * c.kw * c.ci, 1e9]) {
        const outInfo = makeConv2DBackpropFilterWasm(block)({
          inputs: { x: xw, dy: dyw },
          backend: tf.backend(),
          attrs,
        }) as tf.TensorInfo;
        const out = tf.engine().makeTensorFromTensorInfo(outInfo);
        expect(out.shape).toEqual(filterShape);
        expectClose((await out.data()) as Float32Array, expected);
        out.dispose();
      }
      tf.dispose([xw, dyw]);
    }
  });

  it('supports dilations when called directly (naive reference)', async () => {
    await tf.setBackend('wasm');
    const xShape: [number, number, number, number] = [2, 9, 8, 3];
    const filterShape: [number, number, number, number] = [3, 3, 3, 2];
    for (const pad of ['same', 'valid'] as const) {
      const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, 1, [2, 2], pad);
      const xData = randomArray(tf.util.sizeFromShape(xShape), 71);
      const dyData = randomArray(tf.util.sizeFromShape(info.outShape), 72);
      const x = tf.tensor(xData, xShape);
      const dy = tf.tensor(dyData, info.outShape);
      const out = tf.engine().runKernel(
        'Conv2DBackpropFilter',
        { x, dy },
        {
          strides: 1,
          pad,
          dataFormat: 'NHWC',
          filterShape,
          dilations: [2, 2],
        },
      ) as tf.Tensor;
      const got = (await out.data()) as Float32Array;
      tf.dispose([x, dy, out]);
      const [B, H, W, CI] = xShape;
      const [KH, KW, , CO] = filterShape;
      const ref = new Float32Array(KH * KW * CI * CO);
      for (let b = 0; b < B; b++)
        for (let oh = 0; oh < info.outHeight; oh++)
          for (let ow = 0; ow < info.outWidth; ow++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh - info.padInfo.top + 2 * kh;
                const iw = ow - info.padInfo.left + 2 * kw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                for (let ci = 0; ci < CI; ci++)
                  for (let co = 0; co < CO; co++) {
                    const xv = xData[((b * H + ih) * W + iw) * CI + ci] as number;
                    const dv = dyData[((b * info.outHeight + oh) * info.outWidth + ow) * CO + co] as number;
                    const j = ((kh * KW + kw) * CI + ci) * CO + co;
                    ref[j] = (ref[j] as number) + xv * dv;
                  }
              }
      expectClose(got, ref);
    }
  });

  it('rejects NCHW and mismatched dy with a clear error', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 5, 5, 2]);
    const dy = tf.zeros([1, 3, 3, 4]);
    expect(() =>
      tf.engine().runKernel(
        'Conv2DBackpropFilter',
        { x, dy },
        {
          strides: 1,
          pad: 'valid',
          dataFormat: 'NCHW',
          filterShape: [3, 3, 2, 4],
        },
      ),
    ).toThrow(/only dataFormat 'NHWC'/);
    expect(() =>
      tf.engine().runKernel(
        'Conv2DBackpropFilter',
        { x, dy },
        {
          strides: 1,
          pad: 'same',
          dataFormat: 'NHWC',
          filterShape: [3, 3, 2, 4],
        },
      ),
    ).toThrow(/does not match the conv output/);
    tf.dispose([x, dy]);
  });
});
