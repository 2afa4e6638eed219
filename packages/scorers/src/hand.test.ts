import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@prunelab/engine';
import { crossEntropy, getWeights, setWeights, type Net } from '@prunelab/models';
import type { LoadedDataset } from '@prunelab/datasets';
import { calibrationPositions, fgsm, pgd, robustAccuracy, scorerRegistry } from './index.js';
import type { UnitScoredLayer } from './types.js';
import { net as makeNet, rows, setKernel, snapshot, tinyConv, tinyDataset, tinyMlp } from './test-utils/fixtures.js';

beforeAll(async () => {
  await initBackend((process.env['PRUNELAB_TEST_BACKEND'] ?? 'cpu') as 'cpu' | 'wasm');
});

const score = (name: string, n: Net, ds: LoadedDataset, options: Record<string, unknown> = {}, seed = 5, extra = {}) =>
  scorerRegistry.create(name, options).score({ net: n, ds, seed, ...extra });

function load(ds: LoadedDataset, positions: ArrayLike<number>): { xs: tf.Tensor; ys: tf.Tensor1D } {
  const d = ds.shape.reduce((a, b) => a * b, 1);
  const x: number[] = [];
  const y: number[] = [];
  for (const p of Array.from(positions)) {
    x.push(...Array.from(ds.pools[0]!.x.subarray(p * d, p * d + d)));
    y.push(ds.pools[0]!.y[p]!);
  }
  return { xs: tf.tensor(x, [positions.length, ...ds.shape]), ys: tf.tensor1d(y, 'int32') };
}

/** Gradients of the mean CE on the given examples, by tf.variableGrads on Net.forward (independent of the scorers' code). */
function refGrads(n: Net, ds: LoadedDataset, positions: ArrayLike<number>): Float32Array[] {
  return tf.tidy(() => {
    const { xs, ys } = load(ds, positions);
    const { grads } = tf.variableGrads(
      () => crossEntropy(n.forward(xs), ys, ds.classes),
      n.params.map((p) => p.kernel),
    );
    return n.params.map((p) => grads[p.kernel.name]!.dataSync() as Float32Array);
  });
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(rel * scale + 1e-12);
}

const kernels = (n: Net) => n.params.map((p) => p.kernel.dataSync() as Float32Array);
const calib = { batches: 2, batchSize: 4 };

describe('magnitude and random', () => {
  it('magnitude is |w|', async () => {
    const { net, ds } = tinyMlp();
    const s = await score('magnitude', net, ds);
    expect(Array.from(s[0]!.scores)).toEqual(Array.from(kernels(net)[0]!).map(Math.abs));
  });
  it('random gives zeros to zero weights and repeats with the seed', async () => {
    const { net, ds } = tinyMlp();
    setKernel(net, 0, [0, -0.5, 0.3, -0.4, 0, 0.2]);
    const a = await score('random', net, ds);
    expect(a[0]!.scores[0]).toBe(0);
    expect(a[0]!.scores[4]).toBe(0);
    expect(a).toEqual(await score('random', net, ds));
  });
});

describe('taylor', () => {
  it('is the mean over calibration batches of |w * dL_b/dw| (tf.variableGrads reference)', async () => {
    const { net, ds } = tinyMlp();
    const s = await score('taylor', net, ds, calib);
    const batches = calibrationPositions(ds, 5, 2, 4);
    const w = kernels(net);
    net.params.forEach((_, l) => {
      const expected = new Float64Array(w[l]!.length);
      for (const b of batches) refGrads(net, ds, b)[l]!.forEach((g, i) => (expected[i]! += Math.abs(g * w[l]![i]!) / batches.length));
      expectClose(s[l]!.scores, expected);
    });
  });
});

describe('snip', () => {
  it('is |g w| / sum |g w| on one batch; its ranking equals the independent |w dL/dw| ranking', async () => {
    const { net, ds } = tinyMlp();
    const s = await score('snip', net, ds, { batchSize: 6 });
    const [batch] = calibrationPositions(ds, 5, 1, 6);
    const g = refGrads(net, ds, batch!);
    const w = kernels(net);
    const raw = g.flatMap((gl, l) => Array.from(gl, (v, i) => Math.abs(v * w[l]![i]!)));
    const total = raw.reduce((a, b) => a + b, 0);
    const flat = s.flatMap((l) => Array.from(l.scores));
    expectClose(
      flat,
      raw.map((v) => v / total),
    );
    const rank = (v: number[]) => v.map((_, i) => i).sort((a, b) => v[b]! - v[a]! || a - b);
    expect(rank(flat)).toEqual(rank(raw));
    expect(flat.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });
  it('with atInit scores the initial weights and restores the current ones', async () => {
    const { net, ds } = tinyMlp();
    const init = getWeights(net);
    const atInit = await score('snip', net, ds, { batchSize: 6 });
    setKernel(net, 0, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    const trained = snapshot(net);
    const s = await score('snip', net, ds, { batchSize: 6 }, 5, { initialWeights: init });
    expect(s).toEqual(atInit);
    expect(snapshot(net)).toEqual(trained);
    const current = await score('snip', net, ds, { batchSize: 6, atInit: false }, 5, { initialWeights: init });
    expect(current).not.toEqual(atInit);
    setWeights(net, init);
  });
});

/** sum_n (dl_n/dW)^2 / N by a per-example tf.variableGrads loop. */
function refFisher(n: Net, ds: LoadedDataset, positions: number[]): Float64Array[] {
  const out = n.params.map((p) => new Float64Array(p.kernel.size));
  for (const p of positions) {
    refGrads(n, ds, [p]).forEach((g, l) => g.forEach((v, i) => (out[l]![i]! += (v * v) / positions.length)));
  }
  return out;
}

describe('fisher', () => {
  for (const [label, make] of [
    ['dense', tinyMlp],
    ['conv (same padding, stride 2)', tinyConv],
  ] as const) {
    it(`is 1/2 w^2 mean_n (dl_n/dw)^2 with per-example gradients: ${label}`, async () => {
      const { net, ds } = make();
      const s = await score('fisher', net, ds, { batches: 2, batchSize: 3 });
      const positions = calibrationPositions(ds, 5, 2, 3).flatMap((b) => Array.from(b));
      const f = refFisher(net, ds, positions);
      const w = kernels(net);
      net.params.forEach((_, l) =>
        expectClose(
          s[l]!.scores,
          Array.from(f[l]!, (v, i) => 0.5 * w[l]![i]! ** 2 * v),
        ),
      );
    });
  }
  it('differs from the squared batch-mean gradient', async () => {
    const { net, ds } = tinyMlp();
    const s = await score('fisher', net, ds, { batches: 1, batchSize: 8 });
    const g = refGrads(net, ds, calibrationPositions(ds, 5, 1, 8)[0]!);
    const w = kernels(net);
    const wrong = Array.from(g[0]!, (v, i) => 0.5 * w[0]![i]! ** 2 * v * v);
    expect(Array.from(s[0]!.scores)).not.toEqual(wrong);
  });
});

describe('obd', () => {
  it('uses h_kk = mean_n x_i^2 p_j (1 - p_j), the exact Hessian diagonal of a linear softmax layer', async () => {
    const n = makeNet([2], [{ kind: 'dense', units: 2, activation: 'linear' }]);
    setKernel(n, 0, [0.6, -0.4, 0.2, 0.9], [0.1, -0.1]);
    const x = rows(8, 2, 3);
    const ds = tinyDataset(
      x,
      x.map((r) => (r[0]! > 0 ? 1 : 0)),
      [2],
    );
    const s = await score('obd', n, ds, calib);
    const w = [0.6, -0.4, 0.2, 0.9];
    const h = [0, 0, 0, 0];
    for (const r of x) {
      const z = [r[0]! * w[0]! + r[1]! * w[2]! + 0.1, r[0]! * w[1]! + r[1]! * w[3]! - 0.1];
      const p1 = 1 / (1 + Math.exp(z[0]! - z[1]!));
      const p = [1 - p1, p1];
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) h[i * 2 + j]! += (r[i]! ** 2 * p[j]! * (1 - p[j]!)) / x.length;
    }
    expectClose(
      s[0]!.scores,
      h.map((hk, k) => 0.5 * hk * w[k]! ** 2),
    );
  });
  it("with hessian 'empirical-fisher' equals fisher", async () => {
    const { net, ds } = tinyConv();
    const a = await score('obd', net, ds, { batches: 2, batchSize: 3, hessian: 'empirical-fisher' });
    const b = await score('fisher', net, ds, { batches: 2, batchSize: 3 });
    a.forEach((l, i) => expectClose(l.scores, b[i]!.scores, 1e-6));
  });
  it('gauss-newton matches a per-class per-example loop on a relu net', async () => {
    const { net, ds } = tinyMlp();
    const s = await score('obd', net, ds, { batches: 1, batchSize: 8 });
    const positions = calibrationPositions(ds, 5, 1, 8)[0]!;
    const acc = net.params.map((p) => new Float64Array(p.kernel.size));
    for (const pos of Array.from(positions)) {
      const { xs } = load(ds, [pos]);
      const probs = tf.tidy(() => tf.softmax(net.forward(xs)).dataSync());
      for (let c = 0; c < 2; c++) {
        const g = tf.tidy(() => {
          const { grads } = tf.variableGrads(
            () => crossEntropy(net.forward(xs), tf.tensor1d([c], 'int32'), 2),
            net.params.map((p) => p.kernel),
          );
          return net.params.map((p) => grads[p.kernel.name]!.dataSync());
        });
        g.forEach((gl, l) => gl.forEach((v, i) => (acc[l]![i]! += (probs[c]! * v * v) / 8)));
      }
      xs.dispose();
    }
    const w = kernels(net);
    net.params.forEach((_, l) =>
      expectClose(
        s[l]!.scores,
        Array.from(acc[l]!, (h, i) => 0.5 * h * w[l]![i]! ** 2),
      ),
    );
  });
});

/** Hidden activations of tinyMlp computed by hand. */
function hidden(n: Net, x: number[][]): number[][] {
  const w = kernels(n)[0]!;
  const b = n.params[0]!.bias!.dataSync();
  return x.map((r) => [0, 1, 2].map((j) => Math.max(0, r[0]! * w[j]! + r[1]! * w[3 + j]! + b[j]!)));
}

function expectUnitConvention(l: UnitScoredLayer): void {
  const units = l.shape.at(-1)!;
  for (let j = 0; j < units; j++) {
    let sum = 0;
    for (let i = j; i < l.scores.length; i += units) sum += l.scores[i]!;
    expect(sum).toBeCloseTo(l.unitScores![j]!, 5);
  }
}

describe('apoz, entropy, mutual-information (unit scorers)', () => {
  const all = { batches: 1, batchSize: 8 };
  it('apoz is 1 - fraction of zero ReLU outputs, counted by hand', async () => {
    const { net, ds } = tinyMlp();
    setKernel(net, 0, [0.8, -0.5, 0.3, -0.4, 0.9, 0.2], [0.1, 0, -0.6]);
    const s = await score('apoz', net, ds, all);
    const h = hidden(net, rows(8, 2, 7));
    const expected = [0, 1, 2].map((j) => 1 - h.filter((r) => r[j] === 0).length / 8);
    expectClose(s[0]!.unitScores!, expected, 1e-6);
    expectUnitConvention(s[0]!);
    expect(s[1]!.unitScores).toEqual(Float32Array.from([1, 1]));
  });
  const hist = (v: number[], m: number) => {
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    return v.map((x) => (hi > lo ? Math.min(m - 1, Math.floor(((x - lo) / (hi - lo)) * m)) : 0));
  };
  it('entropy is -sum p log p over m bins of each unit output (independent histogram)', async () => {
    const { net, ds } = tinyMlp();
    const s = await score('entropy', net, ds, { ...all, bins: 4 });
    const h = hidden(net, rows(8, 2, 7));
    const expected = [0, 1, 2].map((j) => {
      const bins = hist(
        h.map((r) => r[j]!),
        4,
      );
      let e = 0;
      for (let b = 0; b < 4; b++) {
        const p = bins.filter((x) => x === b).length / 8;
        if (p > 0) e -= p * Math.log(p);
      }
      return e;
    });
    expectClose(s[0]!.unitScores!, expected, 1e-4);
    expectUnitConvention(s[0]!);
  });
  it('mutual-information is the binned I(a_j; y) (independent histogram)', async () => {
    const { net, ds } = tinyMlp();
    const s = await score('mutual-information', net, ds, { ...all, bins: 3 });
    const x = rows(8, 2, 7);
    const y = Array.from(ds.pools[0]!.y);
    const h = hidden(net, x);
    const expected = [0, 1, 2].map((j) => {
      const a = hist(
        h.map((r) => r[j]!),
        3,
      );
      let mi = 0;
      for (let b = 0; b < 3; b++) {
        for (let c = 0; c < 2; c++) {
          const pbc = a.filter((v, i) => v === b && y[i] === c).length / 8;
          const pb = a.filter((v) => v === b).length / 8;
          const pc = y.filter((v) => v === c).length / 8;
          if (pbc > 0) mi += pbc * Math.log(pbc / (pb * pc));
        }
      }
      return mi;
    });
    expectClose(s[0]!.unitScores!, expected, 1e-4);
    expectUnitConvention(s[0]!);
  });
});

describe('noise-sensitivity', () => {
  it('unit level: loss increase when a unit is ablated, by assigning zero columns', async () => {
    const { net, ds } = tinyMlp();
    const before = snapshot(net);
    const s = await score('noise-sensitivity', net, ds, { batches: 1, batchSize: 8 });
    expect(snapshot(net)).toEqual(before);
    const { xs, ys } = load(ds, calibrationPositions(ds, 5, 1, 8)[0]!);
    const loss = () => tf.tidy(() => crossEntropy(net.forward(xs), ys, 2).dataSync()[0]!);
    const base = loss();
    net.params.forEach((p, l) => {
      const units = p.kernel.shape.at(-1)!;
      for (let j = 0; j < units; j++) {
        const w = getWeights(net);
        const k = p.kernel.dataSync().slice();
        for (let i = j; i < k.length; i += units) k[i] = 0;
        const b = p.bias!.dataSync().slice();
        b[j] = 0;
        tf.tidy(() => {
          p.kernel.assign(tf.tensor(k, p.kernel.shape));
          p.bias!.assign(tf.tensor(b));
        });
        expect(s[l]!.unitScores![j]!).toBeCloseTo(Math.max(0, loss() - base), 5);
        setWeights(net, w);
      }
      expectUnitConvention(s[l]!);
    });
    xs.dispose();
    ys.dispose();
  });
  it('weight level: converges to 1/2 (sigma w)^2 h_kk on a linear softmax layer', async () => {
    const n = makeNet([2], [{ kind: 'dense', units: 2, activation: 'linear' }]);
    const w = [0.6, -0.4, 0.2, 0.9];
    setKernel(n, 0, w, [0.1, -0.1]);
    const x = rows(8, 2, 3);
    const ds = tinyDataset(
      x,
      x.map((r) => (r[0]! > 0 ? 1 : 0)),
      [2],
    );
    const sigma = 0.5;
    const s = await score('noise-sensitivity', n, ds, { level: 'weight', sigma, samples: 3000, batches: 1, batchSize: 8 });
    const h = [0, 0, 0, 0];
    for (const r of x) {
      const z = [r[0]! * w[0]! + r[1]! * w[2]! + 0.1, r[0]! * w[1]! + r[1]! * w[3]! - 0.1];
      const p1 = 1 / (1 + Math.exp(z[0]! - z[1]!));
      const p = [1 - p1, p1];
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) h[i * 2 + j]! += (r[i]! ** 2 * p[j]! * (1 - p[j]!)) / x.length;
    }
    const expected = h.map((hk, k) => 0.5 * (sigma * w[k]!) ** 2 * hk);
    expected.forEach((e, k) => expect(Math.abs(s[0]!.scores[k]! - e)).toBeLessThan(0.12 * e + 1e-6));
  });
});

describe('adversarial-taylor and attacks', () => {
  it('FGSM steps eps along sign(grad_x L), and adversarial-taylor is |w dL_adv/dw| there', async () => {
    const { net, ds } = tinyMlp();
    const eps = 0.2;
    const s = await score('adversarial-taylor', net, ds, { batches: 1, batchSize: 8, eps });
    const { xs, ys } = load(ds, calibrationPositions(ds, 5, 1, 8)[0]!);
    const adv = tf.tidy(() => {
      const gx = tf
        .grad((x: tf.Tensor) => crossEntropy(net.forward(x), ys, 2))(xs)
        .dataSync();
      const x0 = xs.dataSync();
      return tf.tensor(
        Array.from(x0, (v, i) => v + eps * Math.sign(gx[i]!)),
        xs.shape,
      );
    });
    const viaFgsm = fgsm(net, xs, ys, { eps });
    expectClose(viaFgsm.dataSync(), adv.dataSync(), 1e-6);
    const g = tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => crossEntropy(net.forward(adv), ys, 2),
        net.params.map((p) => p.kernel),
      );
      return net.params.map((p) => grads[p.kernel.name]!.dataSync());
    });
    const w = kernels(net);
    net.params.forEach((_, l) =>
      expectClose(
        s[l]!.scores,
        Array.from(g[l]!, (v, i) => Math.abs(v * w[l]![i]!)),
      ),
    );
    tf.dispose([xs, ys, adv, viaFgsm]);
  });
  it('PGD stays in the eps-ball and the clip range; one full step equals FGSM; robustAccuracy behaves', async () => {
    const { net, ds } = tinyMlp();
    const { xs, ys } = load(ds, [0, 1, 2, 3, 4, 5, 6, 7]);
    const clip = { min: -0.9, max: 0.9 };
    const a = pgd(net, xs, ys, { eps: 0.3, steps: 5, stepSize: 0.1, randomStart: true, seed: 2, clip });
    const x0 = xs.dataSync();
    a.dataSync().forEach((v, i) => {
      expect(Math.abs(v - x0[i]!)).toBeLessThanOrEqual(0.3 + 1e-6);
      expect(v).toBeGreaterThanOrEqual(-0.9);
      expect(v).toBeLessThanOrEqual(0.9);
    });
    const one = pgd(net, xs, ys, { eps: 0.2, steps: 1, stepSize: 0.2 });
    const f = fgsm(net, xs, ys, { eps: 0.2 });
    expectClose(one.dataSync(), f.dataSync(), 1e-6);
    tf.dispose([xs, ys, a, one, f]);
    const clean = robustAccuracy(net, ds, 'test', { eps: 0 });
    const attacked = robustAccuracy(net, ds, 'test', { attack: 'pgd', eps: 0.5, steps: 5 });
    expect(attacked).toBeLessThanOrEqual(clean);
    expect(attacked).toBeLessThan(1);
  });
});

describe('l1-regularized', () => {
  it('scores |w| after training with the penalty, on a copy: same as an independent train() call, net unchanged', async () => {
    const { train, trainingSchema } = await import('@prunelab/models');
    for (const penalty of ['l1', 'group-lasso'] as const) {
      const { net, ds } = tinyMlp();
      const before = snapshot(net);
      const s = await score('l1-regularized', net, ds, { penalty, lambda: 0.05, steps: 20, batchSize: 4, optimizer: 'sgd', lr: 0.1 });
      expect(snapshot(net)).toEqual(before);
      const cfg = trainingSchema.parse({ epochs: (20 * 4) / 8, batchSize: 4, optimizer: 'sgd', lr: 0.1 });
      const masks = new Map(net.params.map((p) => [p.name, tf.onesLike(p.kernel)]));
      train(net, ds, cfg, {
        seed: 5,
        masks,
        penalty: () =>
          tf.tidy(() => {
            const terms = net.params.map((p) => (penalty === 'l1' ? tf.sum(tf.abs(p.kernel)) : tf.sum(tf.sqrt(tf.add(tf.sum(tf.square(p.kernel), 0), 1e-12)))));
            return tf.mul(tf.addN(terms), 0.05) as tf.Scalar;
          }),
      });
      for (const m of masks.values()) m.dispose();
      kernels(net).forEach((w, l) => expectClose(s[l]!.scores, Array.from(w, Math.abs), 1e-6));
      // The penalty shrinks weights relative to the start.
      const l1 = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + Math.abs(y), 0);
      expect(l1(s[0]!.scores)).toBeLessThan(l1(before[0]!));
    }
  });
});
