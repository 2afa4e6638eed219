import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadDataset, type LoadedDataset } from '@prunelab/datasets';
import { initBackend } from '@prunelab/engine';
import { Net, evaluate, getWeights, importLayersModel, modelRegistry, readModelArtifactsSync, train, trainingSchema } from '@prunelab/models';
import { openDatabase } from '@prunelab/store';
import { main } from '../main.js';
import { runTinySweep } from '../test-utils/tiny-sweep.js';

/** Runs the CLI in-process and captures what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const DATASET = { name: 'synthetic', kind: 'blobs', dims: 8, classes: 3, trainSize: 600, valSize: 0, testSize: 300 };

/**
 * A Keras-style model a user brings: Dense(16, relu) named d1, Dropout, Dense(3, softmax)
 * named out, trained (by prunelab, on blobs) and written as tfjs' model.json + weights.bin.
 */
async function userModel(dir: string, ds: LoadedDataset): Promise<number> {
  const net = new Net(modelRegistry.create('mlp', { hidden: [16] })(ds.shape, ds.classes), 3);
  train(net, ds, trainingSchema.parse({ epochs: 4, batchSize: 50, lr: 0.01 }), { seed: 3 });
  const accuracy = evaluate(net, ds, 'test').accuracy;
  const [k1, b1, k2, b2] = getWeights(net);
  net.dispose();
  const layers = [
    { class_name: 'Dense', config: { name: 'd1', units: 16, activation: 'relu', use_bias: true, batch_input_shape: [null, 8] } },
    { class_name: 'Dropout', config: { name: 'drop', rate: 0.2 } },
    { class_name: 'Dense', config: { name: 'out', units: 3, activation: 'softmax', use_bias: true } },
  ];
  const weights = [
    { name: 'd1/kernel', shape: [8, 16], dtype: 'float32' },
    { name: 'd1/bias', shape: [16], dtype: 'float32' },
    { name: 'out/kernel', shape: [16, 3], dtype: 'float32' },
    { name: 'out/bias', shape: [3], dtype: 'float32' },
  ];
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'model.json'),
    JSON.stringify({
      format: 'layers-model',
      modelTopology: { class_name: 'Sequential', config: { name: 'user', layers } },
      weightsManifest: [{ paths: ['weights.bin'], weights }],
    }),
  );
  const data = new Float32Array([...k1!.data, ...b1!.data, ...k2!.data, ...b2!.data]);
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(data.buffer));
  return accuracy;
}

/** The kernels of an exported model.json, through prunelab's own import. */
function exported(dir: string) {
  const artifacts = readModelArtifactsSync(join(dir, 'model.json'));
  const imported = importLayersModel(artifacts, dir);
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    modelTopology: { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } };
    userDefinedMetadata?: { prunelab?: Record<string, unknown> };
  };
  const kernels = (imported.arch.initialWeights ?? []).filter((w) => w.name.endsWith('/kernel'));
  const zeros = kernels.reduce((s, w) => s + w.data.filter((v) => v === 0).length, 0) / kernels.reduce((s, w) => s + w.data.length, 0);
  return { imported, layers: json.modelTopology.config.layers, metadata: json.userDefinedMetadata?.prunelab, zeros };
}

let dir: string;
let db: string;
let ds: LoadedDataset;
let trainedAccuracy: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prunelab-cli-models-'));
  db = (await runTinySweep(dir)).database;
  await initBackend('cpu');
  ds = await loadDataset(DATASET);
  trainedAccuracy = await userModel(join(dir, 'mine'), ds);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prunelab export model', () => {
  it('writes a point of a sweep as a tfjs model and prints its size, parameters, nonzeros and MACs', async () => {
    const database = openDatabase(db, { readonly: true });
    const id = (database.prepare(`SELECT id FROM runs WHERE scorer = 'magnitude' AND seed = 0`).get() as { id: string }).id;
    database.close();
    const out = join(dir, 'export-run');
    const r = await cli('export', 'model', '--run', id.slice(0, 8), '--at', '0.8', '--out', out, '--db', db);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `run ${id} \\(magnitude / unstructured / one-shot, seed 0\\) at target 0\\.8: step \\d+ \\(finetuned\\), test accuracy [\\d.]+%, sparsity 80\\.11%`,
      ),
    );
    expect(r.stdout).toMatch(/wrote .*export-run\/model\.json \+ weights\.bin: [\d.]+ KiB/);
    // mlp 8-16-3: 8*16 + 16 + 16*3 + 3 = 195 parameters; 80% of the 176 kernel weights are zero.
    expect(r.stdout).toMatch(/parameters: 195, nonzero: (\d+)/);
    // At most the 35 kept weights: weights that read from a unit left without inputs count for nothing.
    const macs = /MACs per example: 176 as stored, (\d+) counting nonzero weights only/.exec(r.stdout);
    expect(Number(macs?.[1])).toBeLessThanOrEqual(35);
    expect(Number(macs?.[1])).toBeGreaterThan(0);
    const e = exported(out);
    expect(e.metadata).toMatchObject({ run: id, targetSparsity: 0.8, sparsity: expect.closeTo(141 / 176, 10), scorer: 'magnitude' });
    expect(e.zeros).toBeCloseTo(141 / 176, 10);

    // The same run, named by its sweep, strategy and seed.
    const bySweep = await cli(
      'export',
      'model',
      '--sweep',
      'tiny',
      '--strategy',
      'magnitude',
      '--seed',
      '0',
      '--at',
      '0.8',
      '--out',
      join(dir, 'export-strategy'),
      '--db',
      db,
    );
    expect(bySweep.code).toBe(0);
    expect(readFileSync(join(dir, 'export-strategy', 'weights.bin'))).toEqual(readFileSync(join(out, 'weights.bin')));
  });

  it('says what is missing: a target without a kept model, an ambiguous strategy, an unknown run', async () => {
    const at = await cli('export', 'model', '--sweep', 'tiny', '--strategy', 'random', '--seed', '1', '--at', '0.7', '--out', join(dir, 'x'), '--db', db);
    expect(at.code).toBe(2);
    expect(at.stderr).toMatch(/--at: run [0-9a-f]+ kept no model at target 0\.7 \(got 0\.7\)\. Its kept models are at 0\.5, 0\.8, 0\.9/);
    const both = await cli('export', 'model', '--sweep', 'tiny', '--strategy', 'random', '--out', join(dir, 'x'), '--db', db);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--seed: 2 runs of sweep tiny match --strategy random: [0-9a-f]+ \(random \/ .*seed 0\); [0-9a-f]+ \(.*seed 1\)\. Narrow it/);
    const none = await cli('export', 'model', '--run', 'abcdef', '--out', join(dir, 'x'), '--db', db);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--run: no run with id abcdef/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});

describe('prunelab prune', () => {
  it('prunes a trained model without data (magnitude): your layer names, dropout and softmax kept, the sparsity asked', async () => {
    const out = join(dir, 'pruned-plain');
    const r = await cli('prune', join(dir, 'mine', 'model.json'), '--sparsity', '0.9', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/prunable d1 \(dense1\), out \(dense2\); carried along: drop \(Dropout\)/);
    expect(r.stdout).toMatch(/pruned with magnitude, unstructured, global scope to sparsity 89\.77% \(asked 0\.9\): d1 [\d.]+%, out [\d.]+%/);
    expect(r.stdout).not.toMatch(/test accuracy/);
    const e = exported(out);
    expect(e.layers.map((l) => [l.class_name, l.config['name']])).toEqual([
      ['Dense', 'd1'],
      ['Dropout', 'drop'],
      ['Dense', 'out'],
    ]);
    expect(e.layers[2]!.config['activation']).toBe('softmax');
    expect(e.imported.output).toBe('softmax');
    expect(e.zeros).toBeCloseTo(Math.round(0.9 * 176) / 176, 10);
  });

  it('with a dataset: accuracy before (the model as trained), after pruning and after fine-tuning; unit pruning written smaller', async () => {
    const out = join(dir, 'pruned-unit');
    const r = await cli(
      'prune',
      join(dir, 'mine'),
      '--sparsity',
      '0.5',
      '--structure',
      'unit',
      '--scorer',
      '{name: snip, batchSize: 64}',
      '--dataset',
      JSON.stringify(DATASET),
      '--calibrate',
      '100',
      '--finetune',
      '1',
      '--lr',
      '0.001',
      '--physical',
      '--out',
      out,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/calibration: 100 training examples of synthetic/);
    const acc = /test accuracy on synthetic \(300 examples\): ([\d.]+)% before, ([\d.]+)% after pruning, ([\d.]+)% after fine-tuning \(1 epoch\(s\)\)/.exec(
      r.stdout,
    );
    expect(acc, r.stdout).not.toBeNull();
    // The model as given scores what it scored when it was trained (backends may differ by one example).
    expect(Math.abs(Number(acc![1]) / 100 - trainedAccuracy)).toBeLessThanOrEqual(1 / 300 + 1e-9);
    expect(r.stdout).toMatch(/physically smaller: removed 8 unit\(s\) of dense1/);
    const e = exported(out);
    // 8 of d1's 16 units removed (the output layer keeps its 3 classes): the file's own layers say so.
    expect(e.layers[0]!.config['units']).toBe(8);
    expect(e.imported.arch.initialWeights!.find((w) => w.name === 'dense2/kernel')!.shape).toEqual([8, 3]);
    expect(e.metadata).toMatchObject({ scorer: 'snip', structure: 'unit', physical: true, dataset: 'synthetic' });
  });

  it('refuses what it cannot do, before it writes anything', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--scorer', 'snip'], /--scorer: scorer snip needs calibration data\. Give --dataset NAME/],
      [['--structure', '2:3'], /--structure: layer "dense1" \(d1\): n:m group size m=3 does not divide the input dimension 8/],
      [['--finetune', '1'], /--finetune: prune: --finetune needs --dataset/],
      [['--lr', '0.01'], /--lr: prune: --lr sets fine-tuning, which runs only with --finetune/],
      [['--batch-size', '32'], /--batch-size: prune: --batch-size sets fine-tuning, which runs only with --finetune/],
      [
        ['--dataset', '{name: synthetic, kind: blobs, dims: 8, classes: 3}', '--calibrate', '10'],
        /--calibrate: scorer magnitude reads the weights alone: --calibrate would change nothing/,
      ],
      [['--exclude', 'd7'], /--exclude: the model has no prunable layer "d7"\. Its prunable layers are d1 \(dense1\), out \(dense2\)/],
      [['--exclude', 'd1,out'], /--exclude: nothing to prune: every prunable layer of the model is excluded \(dense1, dense2\)\. Leave at least one/],
      [
        ['--exclude', 'd1', '--structure', 'unit'],
        /--exclude: nothing to prune: every prunable layer of the model is excluded \(dense1, dense2\)\. A unit structure never prunes the output layer's units/,
      ],
      [['--dataset', '{name: synthetic, kind: blobs, dims: 5, classes: 3}'], /the model expects input \[8\], the dataset gives \[5\]/],
    ];
    for (const [extra, message] of cases) {
      const out = join(dir, 'refused');
      const r = await cli('prune', join(dir, 'mine', 'model.json'), '--sparsity', '0.5', '--out', out, ...extra);
      expect(r.code, `${extra.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  });
});

/**
 * The user's trained model rewired as a functional model (Keras' functional API, tfjs-layers'
 * format): d1, then d2 added back to it (a residual Add), batch norm, dropout and the softmax out.
 */
function functionalUserModel(from: string, to: string): void {
  const weights = importLayersModel(readModelArtifactsSync(join(from, 'model.json')), from).arch.initialWeights!;
  const w = (name: string) => weights.find((x) => x.name === name)!.data;
  const node = (name: string, class_name: string, reads: string[], config: Record<string, unknown> = {}) => ({
    name,
    class_name,
    config: { name, ...config },
    inbound_nodes: [reads.map((r) => [r, 0, 0, {}])],
  });
  const layers = [
    { name: 'x', class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 8] }, inbound_nodes: [] },
    node('d1', 'Dense', ['x'], { units: 16, activation: 'relu', use_bias: true }),
    node('d2', 'Dense', ['d1'], { units: 16, activation: 'relu', use_bias: true }),
    node('res', 'Add', ['d1', 'd2']),
    node('bn', 'BatchNormalization', ['res'], { axis: -1, epsilon: 0.001, momentum: 0.99, center: true, scale: true }),
    node('drop', 'Dropout', ['bn'], { rate: 0.2 }),
    node('out', 'Dense', ['drop'], { units: 3, activation: 'softmax', use_bias: true }),
  ];
  // d2 small and deterministic, the batch norm near the identity: the function stays close to the trained model's.
  const d2 = Float32Array.from({ length: 256 }, (_, i) => ((i % 7) - 3) * 0.02);
  const values: Array<[string, number[], Float32Array]> = [
    ['d1/kernel', [8, 16], w('dense1/kernel')],
    ['d1/bias', [16], w('dense1/bias')],
    ['d2/kernel', [16, 16], d2],
    ['d2/bias', [16], new Float32Array(16)],
    ['bn/gamma', [16], new Float32Array(16).fill(1.1)],
    ['bn/beta', [16], new Float32Array(16).fill(0.05)],
    ['bn/moving_mean', [16], new Float32Array(16).fill(0.1)],
    ['bn/moving_variance', [16], new Float32Array(16).fill(1.2)],
    ['out/kernel', [16, 3], w('dense2/kernel')],
    ['out/bias', [3], w('dense2/bias')],
  ];
  mkdirSync(to, { recursive: true });
  const topology = { class_name: 'Model', config: { name: 'functional', layers, input_layers: [['x', 0, 0]], output_layers: [['out', 0, 0]] } };
  const manifest = values.map(([name, shape]) => ({ name, shape, dtype: 'float32' }));
  writeFileSync(
    join(to, 'model.json'),
    JSON.stringify({ format: 'layers-model', modelTopology: topology, weightsManifest: [{ paths: ['weights.bin'], weights: manifest }] }),
  );
  const data = new Float32Array(values.reduce((s, [, , v]) => s + v.length, 0));
  let offset = 0;
  for (const [, , v] of values) {
    data.set(v, offset);
    offset += v.length;
  }
  writeFileSync(join(to, 'weights.bin'), new Uint8Array(data.buffer));
}

describe('prunelab prune on a functional model', () => {
  it('unit pruning with --physical removes coupled units across the add and writes the functional model back, smaller, with the pruned accuracy', async () => {
    const model = join(dir, 'functional');
    functionalUserModel(join(dir, 'mine'), model);
    const given = importLayersModel(readModelArtifactsSync(join(model, 'model.json')), model, { inputShape: ds.shape, classes: ds.classes });
    const net = new Net(given.arch, 0);
    const accuracyGiven = evaluate(net, ds, 'test').accuracy;
    net.dispose();
    const out = join(dir, 'pruned-functional');
    const r = await cli(
      'prune',
      join(model, 'model.json'),
      '--sparsity',
      '0.5',
      '--structure',
      'unit',
      '--dataset',
      JSON.stringify(DATASET),
      '--physical',
      '--out',
      out,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/prunable d1 \(dense1\), d2 \(dense2\), out \(dense3\); carried along: drop \(Dropout\)/);
    const acc = /test accuracy on synthetic \(300 examples\): ([\d.]+)% before, ([\d.]+)% after pruning/.exec(r.stdout);
    expect(acc, r.stdout).not.toBeNull();
    expect(Math.abs(Number(acc![1]) / 100 - accuracyGiven)).toBeLessThanOrEqual(1 / 300 + 1e-9);
    expect(r.stdout).toMatch(/physically smaller: removed (\d+) unit\(s\) of dense1, \1 unit\(s\) of dense2\n/);
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as {
      modelTopology: {
        class_name: string;
        config: { layers: Array<{ name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: unknown }> };
      };
    };
    expect(json.modelTopology.class_name).toBe('Model');
    const layers = json.modelTopology.config.layers;
    expect(layers.map((l) => [l.name, l.class_name])).toEqual([
      ['x', 'InputLayer'],
      ['d1', 'Dense'],
      ['d2', 'Dense'],
      ['res', 'Add'],
      ['bn', 'BatchNormalization'],
      ['drop', 'Dropout'],
      ['out', 'Dense'],
    ]);
    expect(layers[3]!.inbound_nodes).toEqual([
      [
        ['d1', 0, 0, {}],
        ['d2', 0, 0, {}],
      ],
    ]);
    expect(layers[6]!.config['activation']).toBe('softmax');
    // d1 and d2 meet at the add: they lose the same units, and so does the batch norm after it.
    const kept = layers[1]!.config['units'] as number;
    expect(kept).toBeLessThan(16);
    expect(layers[2]!.config['units']).toBe(kept);
    const e = exported(out);
    expect(e.imported.arch.initialWeights!.find((w) => w.name === 'bn1/gamma')!.shape).toEqual([kept]);
    // The file written computes the pruned model: its accuracy is the one printed after pruning.
    const small = new Net(importLayersModel(readModelArtifactsSync(join(out, 'model.json')), out, { inputShape: ds.shape, classes: ds.classes }).arch, 0);
    expect(Math.abs(evaluate(small, ds, 'test').accuracy - Number(acc![2]) / 100)).toBeLessThanOrEqual(1 / 300 + 1e-9);
    small.dispose();
  });
});
