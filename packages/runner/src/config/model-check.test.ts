import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isPrunelabError, type PrunelabError } from '@prunelab/core';
import { loadSweep } from './load.js';
import { prepareRuns } from '../sweep/prepare.js';
import { tempDir, writeSweep, TINY_SWEEP } from '../test-utils/fixtures.js';

/** What prepareRuns (the load step of `prunelab run`, before any write) says about a sweep. */
async function prepareError(yaml: string, dir = tempDir()): Promise<PrunelabError> {
  try {
    await prepareRuns(loadSweep(writeSweep(dir, yaml)));
  } catch (e) {
    if (isPrunelabError(e)) return e;
    throw e;
  }
  throw new Error('expected prepareRuns to fail');
}

describe('checks that need the model, at load time', () => {
  it('prune.scope.perLayer, prune.exclude and ratePerLayer must name layers the model has', async () => {
    const perLayer = await prepareError(
      TINY_SWEEP.replace('prune: { sparsities: [0.5, 0.9] }', 'prune: { sparsities: [0.5, 0.9], scope: { perLayer: { dense1: 0.5, dense7: 0.9 } } }'),
    );
    expect(perLayer.message).toMatch(
      /sweep\.yaml:6:\d+: prune\.scope\.perLayer\.dense7: the model has no prunable layer "dense7"\. This model's prunable layers are dense1, dense2/,
    );
    const exclude = await prepareError(TINY_SWEEP.replace('prune: { sparsities: [0.5, 0.9] }', 'prune: { sparsities: [0.5, 0.9], exclude: [conv1] }'));
    expect(exclude.message).toMatch(/prune\.exclude\[0\]: the model has no prunable layer "conv1"/);
    const rate = await prepareError(`${TINY_SWEEP}schedule: { name: iterative, rate: 0.2, ratePerLayer: { output: 0.1 } }\n`);
    expect(rate.message).toMatch(/sweep\.yaml:10:\d+: schedule\.ratePerLayer\.output: the model has no prunable layer "output"/);
  });

  it('a model too large to train is refused with its parameter count', async () => {
    const e = await prepareError(TINY_SWEEP.replace('hidden: [16]', 'hidden: [100000, 100000]'));
    expect(e.message).toMatch(
      /sweep\.yaml:3:\d+: model: the model has 10,001,300,003 parameters, more than the 268,435,456 prunelab can train\. Use smaller layers/,
    );
  });

  it('a broken tfjs model is reported at model.path in the sweep file', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'm'));
    writeFileSync(join(dir, 'm', 'model.json'), '{"modelTopology": ');
    const e = await prepareError(TINY_SWEEP.replace('model: { name: mlp, hidden: [16] }', `model:\n  name: tfjs\n  path: ${join(dir, 'm')}`), dir);
    expect(e.code).toBe('E_MODEL_INVALID');
    expect(e.message).toMatch(/sweep\.yaml:5:9: model\.path: .*model\.json is not valid JSON .*\. Convert the model again/);
  });
});
