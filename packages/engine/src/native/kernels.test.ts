import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeStatus, type DirectIsa, type NativeAddon } from './addon.js';
import { convGeometry, registerNativeKernels } from './kernels.js';
import { registerWasmTrainingKernels } from '../wasm/register.js';
import { convCases, expectClose, randomArray, type ConvCase } from '../wasm/test-utils/helpers.js';

// Each native kernel against the cpu backend's, over the shapes, strides and
// paddings the wasm kernel tests use: forward values and both gradients within 1e-4.
const status = nativeStatus();

// Shapes for the direct kernels (convCases run through them too): the CIFAR ResNets' and VGG's 3x3
// convolutions, their strided ones, the 3-channel stem, more output channels than one pass takes,
// 'valid' windows that leave rows unread, rectangular kernels, and channel counts that end in a
// masked tail on AVX-512 (16 floats a vector), on AVX2 (8), or on both.
const directCases: ConvCase[] = [
  { b: 2, h: 9, w: 11, ci: 16, co: 16, kh: 3, kw: 3, s: 1, pad: 'same' },
  { b: 2, h: 8, w: 8, ci: 16, co: 32, kh: 3, kw: 3, s: 2, pad: 'same' },
  { b: 3, h: 10, w: 7, ci: 3, co: 16, kh: 3, kw: 3, s: 1, pad: 'same' },
  { b: 1, h: 6, w: 20, ci: 32, co: 48, kh: 3, kw: 3, s: 1, pad: 'valid' },
  { b: 1, h: 5, w: 5, ci: 80, co: 96, kh: 3, kw: 3, s: 1, pad: 'same' },
  { b: 2, h: 9, w: 9, ci: 16, co: 64, kh: 5, kw: 3, s: [1, 2], pad: 'same' },
  { b: 1, h: 11, w: 12, ci: 16, co: 16, kh: 3, kw: 3, s: 2, pad: 'valid' },
  { b: 2, h: 7, w: 9, ci: 32, co: 16, kh: 2, kw: 2, s: 1, pad: 'same' },
  { b: 1, h: 5, w: 6, ci: 16, co: 16, kh: 2, kw: 2, s: 1, pad: 2 }, // padding wider than the kernel: the scattered input gradient
  { b: 2, h: 2, w: 2, ci: 16, co: 16, kh: 5, kw: 5, s: 2, pad: 'same' }, // taps that miss the input entirely
  { b: 2, h: 7, w: 6, ci: 8, co: 24, kh: 3, kw: 3, s: 1, pad: 'same' },
  { b: 1, h: 9, w: 9, ci: 24, co: 40, kh: 3, kw: 3, s: 2, pad: 'same' },
  { b: 2, h: 9, w: 9, ci: 20, co: 36, kh: 3, kw: 3, s: 2, pad: 'same' },
];

// The instruction sets to check: each one this build has, then the direct kernels off.
const best: DirectIsa = status.available ? status.addon.directIsa().active : 'off';
const isas: DirectIsa[] = status.available ? [...status.addon.directIsa().available, 'off'] : [];
const lanes: Record<DirectIsa, number> = { avx512: 16, avx2: 8, off: Number.NaN };

/** The path a direction of this case should take with this instruction set (direct.cc's `covers`, and kernels.cc). */
function directPath(c: ConvCase, kind: 0 | 1 | 2, isa: DirectIsa): 'direct' | 'gemm' {
  const strides = typeof c.s === 'number' ? [c.s, c.s] : c.s;
  const pointwise = c.kh === 1 && c.kw === 1 && strides.every((s) => s === 1) && (c.pad === 'valid' || c.pad === 'same' || c.pad === 0);
  if (pointwise || isa === 'off') return 'gemm'; // pointwise: one GEMM, no patches to build
  const direct = kind === 0 || (kind === 1 ? c.ci % lanes[isa] === 0 : c.co % lanes[isa] === 0 || c.ci >= 8);
  return direct ? 'direct' : 'gemm';
}

type Shape4 = [number, number, number, number];

// The addon the kernels are registered with counts its calls, so that each test can check that the
// native code ran (a kernel that silently fell back to wasm's would match cpu as well).
const calls = new Map<string, number>();
function counting(addon: NativeAddon): NativeAddon {
  // A copy, not a Proxy: the addon's functions are read-only, non-configurable properties.
  const out: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(addon)) {
    const value: unknown = (addon as unknown as Record<string, unknown>)[key];
    out[key] =
      typeof value === 'function'
        ? (...args: unknown[]) => {
            calls.set(key, (calls.get(key) ?? 0) + 1);
            return (value as (...a: unknown[]) => unknown).apply(addon, args);
          }
        : value;
  }
  return out as unknown as NativeAddon;
}

async function onCpu(run: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const c = run();
  const values = (await c.data()) as Float32Array;
  c.dispose();
  return values;
}

/** Runs on wasm with the native kernels; `used`: the addon functions it called. */
async function onNative(run: () => tf.Tensor): Promise<{ values: Float32Array; used: string[] }> {
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const callsBefore = new Map(calls);
  const n = run();
  const values = (await n.data()) as Float32Array;
  n.dispose();
  expect(tf.memory().numTensors).toBe(before);
  const used = [...calls].filter(([k, v]) => v > (callsBefore.get(k) ?? 0)).map(([k]) => k);
  return { values, used };
}

/** Runs on cpu, then on wasm with the native kernels. */
async function onBoth(run: () => tf.Tensor): Promise<{ cpu: Float32Array; native: Float32Array; used: string[] }> {
  const cpu = await onCpu(run);
  const { values, used } = await onNative(run);
  return { cpu, native: values, used };
}

describe.skipIf(!status.available)('native kernels on the wasm backend', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    registerWasmTrainingKernels({ replaceSlowKernels: true });
    if (!status.available) return;
    registerNativeKernels(counting(status.addon));
    const first = tf.getKernel('Conv2D', 'wasm');
    registerNativeKernels(status.addon);
    expect(tf.getKernel('Conv2D', 'wasm')).toBe(first);
  });

  // Every case on every instruction set this build has, and with the direct kernels off (im2col and
  // GEMM), against one cpu run; each direction must take the path directPath expects.
  it.each([...convCases, ...directCases].map((c, i) => [JSON.stringify(c), c, i] as const))('Conv2D and both gradients match cpu: %s', async (_n, c, i) => {
    if (!status.available) return; // (skipped above; this narrows the type)
    const xShape: Shape4 = [c.b, c.h, c.w, c.ci];
    const fShape: Shape4 = [c.kh, c.kw, c.ci, c.co];
    const x = randomArray(tf.util.sizeFromShape(xShape), 10 + i);
    const f = randomArray(tf.util.sizeFromShape(fShape), 20 + i);
    const info = tf.backend_util.computeConv2DInfo(xShape, fShape, c.s, 1, c.pad);
    const dy = randomArray(tf.util.sizeFromShape(info.outShape), 30 + i);
    const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC' as const };
    const directions = [
      { fn: 'conv2d', run: () => tf.tidy(() => tf.conv2d(tf.tensor4d(x, xShape), tf.tensor4d(f, fShape), c.s, c.pad)) },
      {
        fn: 'conv2dBackpropInput',
        run: () =>
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
      },
      {
        fn: 'conv2dBackpropFilter',
        run: () =>
          tf.tidy(
            () =>
              tf
                .engine()
                .runKernel(
                  'Conv2DBackpropFilter',
                  { x: tf.tensor4d(x, xShape), dy: tf.tensor(dy, info.outShape) },
                  { ...attrs, filterShape: fShape },
                ) as tf.Tensor,
          ),
      },
    ] as const;
    const cpu: Float32Array[] = [];
    for (const d of directions) cpu.push(await onCpu(d.run));
    try {
      for (const isa of isas) {
        status.addon.directIsa(isa);
        for (const [kind, d] of directions.entries()) {
          const k = kind as 0 | 1 | 2;
          expect(status.addon.convPath(convGeometry(info), k), `${isa} ${d.fn}`).toBe(directPath(c, k, isa));
          const r = await onNative(d.run);
          expectClose(r.values, cpu[k] as Float32Array);
          expect(r.used, `${isa} ${d.fn}`).toContain(d.fn);
        }
      }
    } finally {
      status.addon.directIsa(best);
    }
  });

  it('the build has the direct kernels of every instruction set the CPU has, and uses the widest', () => {
    if (!status.available) return;
    // The addon is built with -march=native.
    const flags = new Set((/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/));
    const expected = [...(flags.has('avx512f') ? ['avx512'] : []), ...(flags.has('avx2') && flags.has('fma') ? ['avx2'] : [])];
    expect(status.addon.directIsa()).toEqual({ active: expected[0] ?? 'off', available: expected });
    expect(() => status.addon.directIsa('sse' as DirectIsa)).toThrow(/directIsa/);
    expect(status.addon.directIsa().active).toBe(best);
  });

  it('the direct cases end in a masked tail after whole vectors, on every instruction set, in the directions that take one', () => {
    const all = [...convCases, ...directCases];
    for (const isa of isas.filter((i) => i !== 'off')) {
      const tailAfterVectors = (c: ConvCase) => c.co > lanes[isa] && c.co % lanes[isa] !== 0;
      // The forward pass takes any output channel count; the filter gradient one with 8 or more input channels.
      expect(
        all.some((c) => tailAfterVectors(c) && directPath(c, 0, isa) === 'direct'),
        isa,
      ).toBe(true);
      expect(
        all.some((c) => tailAfterVectors(c) && directPath(c, 2, isa) === 'direct'),
        isa,
      ).toBe(true);
    }
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
    expect(r.used).toContain('gemm');
  });

  it.each(['linear', 'relu', 'relu6', 'elu', 'sigmoid'] as const)('_FusedMatMul with a bias and %s matches cpu', async (activation) => {
    const av = randomArray(8 * 6, 3);
    const bv = randomArray(6 * 5, 4);
    const bias = randomArray(5, 5);
    const r = await onBoth(() =>
      tf.tidy(() => tf.fused.matMul({ a: tf.tensor2d(av, [8, 6]), b: tf.tensor2d(bv, [6, 5]), bias: tf.tensor1d(bias), activation })),
    );
    expectClose(r.native, r.cpu);
    // linear, relu and relu6 run natively; the others go to wasm's own kernel, which must still match.
    if (['linear', 'relu', 'relu6'].includes(activation)) expect(r.used).toContain('gemm');
    else expect(r.used).not.toContain('gemm');
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
    expect(r.used).toEqual(expect.arrayContaining(['conv2d', 'conv2dBackpropFilter', 'gemm']));
  });
});
