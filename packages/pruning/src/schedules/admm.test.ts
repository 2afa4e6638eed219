import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadedDataset } from '@prunelab/datasets';
import { isPrunelabError } from '@prunelab/core';
import { initBackend, tf } from '@prunelab/engine';
import { Net, stepsFor, train } from '@prunelab/models';
import { admmSchema, admmSteps, runAdmm } from './admm.js';
import { blobs, config, fakeContext, mlpArch, trainedWeights } from '../test-utils/fixtures.js';

let ds: LoadedDataset;
beforeAll(async () => {
  await initBackend('cpu');
  ds = await blobs();
});

describe('admmSteps (Zhang et al. 2018)', () => {
  it("'shared' splits each target's budget between the ADMM phase and the masked retraining", () => {
    expect(admmSteps(admmSchema.parse({}), 500)).toEqual({ perIteration: 50, admm: 250, retrain: 250 });
    expect(admmSteps(admmSchema.parse({ iterations: 3, admmShare: 0.25 }), 500)).toEqual({ perIteration: 41, admm: 123, retrain: 377 });
    expect(admmSteps(admmSchema.parse({ stepsPerIteration: 10 }), 500)).toEqual({ perIteration: 10, admm: 50, retrain: 450 });
  });
  it("'extra' is the paper's protocol: one more budget of ADMM before a full retraining", () => {
    expect(admmSteps(admmSchema.parse({ budget: 'extra' }), 500)).toEqual({ perIteration: 100, admm: 500, retrain: 500 });
    expect(admmSteps(admmSchema.parse({ budget: 'extra', iterations: 3 }), 500)).toEqual({ perIteration: 167, admm: 501, retrain: 500 });
  });
  it("'shared' without room for retraining is a config error that names the option and the fix", () => {
    const err = (() => {
      try {
        admmSteps(admmSchema.parse({ stepsPerIteration: 100 }), 500);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isPrunelabError(err) && err.code).toBe('E_CONFIG_INVALID');
    expect((err as Error).message).toMatch(/schedule\.stepsPerIteration.*budget: extra/);
    expect(() => admmSteps(admmSchema.parse({ iterations: 9 }), 16)).toThrow(/no masked retraining/);
  });
});

describe('runAdmm records the training it does', () => {
  it.each([
    ['shared', {}, (b: number) => ({ admm: 5 * Math.floor(b / 10), finetune: b - 5 * Math.floor(b / 10) })],
    ['extra', { budget: 'extra' }, (b: number) => ({ admm: 5 * Math.ceil(b / 5), finetune: b })],
  ] as const)('budget %s', async (_label, opts, expected) => {
    const before = tf.memory().numTensors;
    const net = new Net(mlpArch(), 5);
    const initialWeights = trainedWeights(net);
    train(net, ds, config(), { seed: 5 });
    const run = fakeContext(net, ds, { targets: [0.5, 0.8], initialWeights, denseWeights: trainedWeights(net) });
    await runAdmm(run.ctx, admmSchema.parse(opts));
    const b = stepsFor(run.ctx.finetune, 512);
    const per = expected(b);
    const bs = run.ctx.finetune.batchSize;
    expect(run.training()).toEqual({
      admm: { steps: 2 * per.admm, examples: 2 * per.admm * bs },
      finetune: { steps: 2 * per.finetune, examples: 2 * per.finetune * bs },
    });
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
