import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type LoadedDataset } from '@prunelab/datasets';
import { initBackend, tf } from '@prunelab/engine';
import { Net, decodeArtifact, evaluate, exportModel, modelRegistry, train, trainingSchema } from '@prunelab/models';
import { openDatabase, readArtifactFile, resultPaths, runArtifacts, runsByIdPrefix } from '@prunelab/store';
import { runSweep, type SweepSummary } from './run-sweep.js';
import { createCpuLane } from '../lanes/cpu-lane.js';
import type { Lane } from '../lanes/types.js';
import { loadPointModel, pickArtifact } from '../model-files/point-model.js';
import { tempDir, writeSweep } from '../test-utils/fixtures.js';

const DATASET = { name: 'synthetic', kind: 'blobs', dims: 8, classes: 3, trainSize: 600, valSize: 0, testSize: 300 };

/**
 * Issue 18 end to end: a model trained outside the sweep (here by prunelab
 * itself, saved as a tfjs LayersModel), pruned by a sweep with `train: none`
 * and `artifacts: all`; its model.path is relative to the sweep file, and the
 * sweep runs from another working directory.
 */
describe('a sweep over your own trained model (train: none, artifacts: all)', () => {
  const dir = tempDir();
  const results = join(dir, 'results');
  let ds: LoadedDataset;
  let trained: number;
  let lane: Lane;
  let summary: SweepSummary;

  beforeAll(async () => {
    await initBackend('cpu');
    ds = await loadDataset(DATASET);
    const net = new Net(modelRegistry.create('mlp', { hidden: [16] })(ds.shape, ds.classes), 7);
    train(net, ds, trainingSchema.parse({ epochs: 3, batchSize: 50, lr: 0.01 }), { seed: 7 });
    trained = evaluate(net, ds, 'test').accuracy;
    await exportModel(net, join(dir, 'm'));
    net.dispose();
    const file = writeSweep(
      dir,
      `name: own
dataset: ${JSON.stringify(DATASET)}
model: { name: tfjs, path: m }
train: none
finetune: { epochs: 0.5, batchSize: 50, lr: 0.001 }
prune: { sparsities: [0.5, 0.9] }
artifacts: all
grid:
  scorer: [magnitude, random]
seeds: [0, 1]
`,
    );
    lane = createCpuLane(2);
    summary = await runSweep({ file, results, lanes: [lane] });
  }, 120_000);
  afterAll(() => lane.close());

  const db = () => openDatabase(resultPaths(results).database, { readonly: true });

  it('measures the imported model once for every seed and strategy, trains nothing, and every run starts from it', () => {
    expect(summary.failed).toEqual([]);
    expect(summary.done).toBe(4);
    expect(summary.denseTrained).toBe(1);
    const d = db();
    expect(d.prepare(`SELECT steps FROM dense_models`).all()).toEqual([{ steps: 0 }]);
    const dense = d.prepare(`SELECT accuracy FROM points WHERE phase = 'dense'`).all() as Array<{ accuracy: number }>;
    expect(dense).toHaveLength(4);
    // The same model in every run; measured, as the model trained above scores (backends may round differently: one example).
    expect(new Set(dense.map((p) => p.accuracy)).size).toBe(1);
    expect(Math.abs(dense[0]!.accuracy - trained)).toBeLessThanOrEqual(1 / 300);
    expect(trained).toBeGreaterThan(0.8);
    d.close();
  });

  it('keeps the weights of every point, which reproduce its sparsity and accuracy', async () => {
    const d = db();
    const file = resultPaths(results).database;
    const points = (d.prepare(`SELECT COUNT(*) AS n FROM points`).get() as { n: number }).n;
    expect((d.prepare(`SELECT COUNT(*) AS n FROM artifacts`).get() as { n: number }).n).toBe(points);
    // The four runs share one dense model: its weights are one file (content-addressed).
    const shas = d.prepare(`SELECT DISTINCT a.sha256 FROM artifacts a JOIN points p USING (run_id, step) WHERE p.phase = 'dense'`).all();
    expect(shas).toHaveLength(1);
    const files = readdirSync(join(results, 'artifacts'), { recursive: true }).filter((f) => String(f).endsWith('.bin'));
    expect(files).toHaveLength((d.prepare(`SELECT COUNT(DISTINCT sha256) AS n FROM artifacts`).get() as { n: number }).n);
    const before = tf.memory().numTensors;
    for (const run of d.prepare(`SELECT id FROM runs`).all() as Array<{ id: string }>) {
      for (const a of runArtifacts(d, run.id)) {
        const point = d.prepare(`SELECT sparsity, accuracy, nonzero_params, prunable_params FROM points WHERE run_id = ? AND step = ?`).get(run.id, a.step) as {
          sparsity: number;
          accuracy: number;
          nonzero_params: number;
          prunable_params: number;
        };
        const content = decodeArtifact(readArtifactFile(file, a, 'test'), 'test');
        const nonzero = content.weights.filter((w) => w.name.endsWith('/kernel')).reduce((s, w) => s + w.data.reduce((k, v) => k + (v !== 0 ? 1 : 0), 0), 0);
        expect(nonzero).toBe(point.nonzero_params);
        const model = loadPointModel(d, file, runsByIdPrefix(d, run.id, 1)[0]!, a);
        expect(Math.abs(evaluate(model.net, ds, 'test').accuracy - point.accuracy)).toBeLessThanOrEqual(1 / 300);
        model.net.dispose();
      }
    }
    expect(tf.memory().numTensors).toBe(before);
    d.close();
  });

  it('picks the fine-tuned model of a target, and names the targets it has when asked for another', () => {
    const d = db();
    const run = runsByIdPrefix(d, (d.prepare(`SELECT id FROM runs LIMIT 1`).get() as { id: string }).id, 1)[0]!;
    expect(pickArtifact(d, run, 0.9)).toMatchObject({ target_sparsity: 0.9, phase: 'finetuned' });
    expect(pickArtifact(d, run, undefined)).toMatchObject({ target_sparsity: 0.9, phase: 'finetuned' });
    expect(() => pickArtifact(d, run, 0.8)).toThrow(/kept no model at target 0\.8.*Its kept models are at 0, 0\.5, 0\.9/);
    d.close();
  });

  it('resumes without a duplicate: a rerun stores no artifact again', async () => {
    const d = db();
    const count = () => (d.prepare(`SELECT COUNT(*) AS n FROM artifacts`).get() as { n: number }).n;
    // The rows are keyed (run_id, step), so their count alone could not show a re-store: the files' times can.
    const files = () =>
      readdirSync(join(results, 'artifacts'), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => [join(e.parentPath, e.name), statSync(join(e.parentPath, e.name)).mtimeMs] as const)
        .sort();
    const n = count();
    const before = files();
    const again = await runSweep({ file: join(dir, 'sweep.yaml'), results, lanes: [lane] });
    expect(again).toMatchObject({ skipped: 4, done: 0, denseTrained: 0 });
    expect(count()).toBe(n);
    expect(before.length).toBeGreaterThan(0);
    expect(files()).toEqual(before);
    d.close();
  });
});
