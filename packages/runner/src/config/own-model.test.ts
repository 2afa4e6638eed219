import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPrunelabError, type PrunelabError } from '@prunelab/core';
import { denseKey, runId } from './identity.js';
import { loadSweep } from './load.js';
import { runConfigSchema } from './schema.js';
import { prepareRuns } from '../sweep/prepare.js';
import { tempDir, writeSweep, TINY_SWEEP } from '../test-utils/fixtures.js';

/** A valid tfjs model for TINY_SWEEP's data (8 inputs, 3 classes): one Dense layer, zero weights. */
function writeModel(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const topology = {
    class_name: 'Sequential',
    config: {
      name: 's',
      layers: [{ class_name: 'Dense', config: { name: 'd1', units: 3, activation: 'softmax', use_bias: true, batch_input_shape: [null, 8] } }],
    },
  };
  const weights = [
    { name: 'd1/kernel', shape: [8, 3], dtype: 'float32' },
    { name: 'd1/bias', shape: [3], dtype: 'float32' },
  ];
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: topology, weightsManifest: [{ paths: ['weights.bin'], weights }] }));
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(27 * 4));
}

async function loadError(yaml: string, dir = tempDir()): Promise<PrunelabError> {
  try {
    await prepareRuns(loadSweep(writeSweep(dir, yaml)));
  } catch (e) {
    if (isPrunelabError(e)) return e;
    throw e;
  }
  throw new Error('expected the sweep to be refused');
}

const OWN = (dir: string) => TINY_SWEEP.replace('model: { name: mlp, hidden: [16] }', `model: { name: tfjs, path: ${dir} }`);

describe('model.path', () => {
  it("is read from the sweep file's folder, not the working directory, and stored absolute", async () => {
    const dir = tempDir();
    writeModel(join(dir, 'models', 'mine'));
    const sweep = loadSweep(writeSweep(dir, OWN('models/mine')));
    expect(process.cwd()).not.toBe(dir);
    expect(sweep.runs[0]!.config.model['path']).toBe(join(dir, 'models', 'mine'));
    await expect(prepareRuns(sweep)).resolves.toHaveLength(4);
  });

  it('an absolute path keeps the run id it had', () => {
    const config = runConfigSchema.parse({ dataset: 'mnist', model: { name: 'tfjs', path: '/data/m' }, scorer: 'magnitude', prune: { sparsities: [0.5] } });
    // Computed with the code before issue 18 (model.path resolved against the sweep file, train: none, artifacts:): unchanged.
    expect(runId(config, 'c')).toBe('7c1e9ae7e816ec2e');
  });

  it("a missing model names where it looked: the sweep file's folder", async () => {
    const dir = tempDir();
    const e = await loadError(OWN('nowhere'), dir);
    expect(e.message).toMatch(
      new RegExp(
        `sweep\\.yaml:3:\\d+: model\\.path: the tfjs model ${dir}/nowhere/model\\.json not found\\. .*\\(a relative model\\.path is read from the sweep file's folder, ${dir}\\)`,
      ),
    );
  });
});

describe('train: none', () => {
  it('takes the model as it is: one dense model for every seed, and no id of a trained config changes', async () => {
    const dir = tempDir();
    writeModel(join(dir, 'm'));
    const runs = await prepareRuns(loadSweep(writeSweep(dir, `${OWN('m').replace('train: { epochs: 2, batchSize: 50, lr: 0.01 }', 'train: none')}`)));
    expect(runs.map((r) => r.config.train)).toEqual(['none', 'none', 'none', 'none']);
    expect(new Set(runs.map((r) => r.denseKey)).size).toBe(1);
    const trainedRuns = await prepareRuns(loadSweep(writeSweep(dir, OWN('m'), 'trained.yaml')));
    expect(new Set(trainedRuns.map((r) => r.denseKey)).size).toBe(2);
    expect(runs.map((r) => r.id).filter((id) => trainedRuns.some((t) => t.id === id))).toEqual([]);
    // The trained config's id is what it was before train: none existed (denseKey keeps the seed).
    const c = runConfigSchema.parse({ dataset: 'mnist', model: 'mlp', scorer: 'magnitude', prune: { sparsities: [0.5] }, train: { epochs: 2 } });
    // Computed with the code before train: none existed: unchanged.
    expect([runId(c, 'c'), denseKey(c, 'c')]).toEqual(['3956329fec285d19', 'c16b06677b7d7376']);
  });

  it('is refused for a model without weights of its own, and for a rewind to a step of training that never happens', async () => {
    const zoo = await loadError(TINY_SWEEP.replace('train: { epochs: 2, batchSize: 50, lr: 0.01 }', 'train: none'));
    expect(zoo.message).toMatch(/sweep\.yaml:4:\d+: train: train: none keeps the model's own weights, but model "mlp" has none .*\. Use model: \{ name: tfjs/);
    const dir = tempDir();
    writeModel(join(dir, 'm'));
    const late = await loadError(
      `${OWN('m').replace('train: { epochs: 2, batchSize: 50, lr: 0.01 }', 'train: none')}schedule: { name: iterative, rewind: { iteration: 5 } }\n`,
      dir,
    );
    expect(late.message).toMatch(/train: schedule iterative rewinds to dense-training step 5, but train: none trains no step/);
  });
});

describe('artifacts:', () => {
  it('is not part of the run id, and defaults to final', () => {
    const base = { dataset: 'mnist', model: 'mlp', scorer: 'magnitude', prune: { sparsities: [0.5] } };
    const ids = (['none', 'final', 'all'] as const).map((a) => runId(runConfigSchema.parse({ ...base, artifacts: a }), 'c'));
    expect(new Set(ids).size).toBe(1);
    expect(runConfigSchema.parse(base).artifacts).toBe('final');
    expect(runId(runConfigSchema.parse(base), 'c')).toBe(ids[0]);
  });
});
