import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { initBackend, tf } from '@prunelab/engine';
import { modelRegistry } from '../zoo/all.js';

/**
 * Every way a user's model.json can be wrong is a coded user error on
 * model.path with a fix, never a TypeError, a read outside the model's folder
 * or an allocation sized by the file.
 */
const root = mkdtempSync(join(tmpdir(), 'prunelab-model-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('cpu');
});

const dense = (name: string, units: number, extra: Record<string, unknown> = {}) => ({ class_name: 'Dense', config: { name, units, activation: 'linear', use_bias: true, ...extra } });
const TOPOLOGY = { class_name: 'Sequential', config: { name: 's', layers: [dense('d1', 3, { batch_input_shape: [null, 4] })] } };
const WEIGHTS = [
  { name: 'd1/kernel', shape: [4, 3], dtype: 'float32' },
  { name: 'd1/bias', shape: [3], dtype: 'float32' },
];
const BYTES = 15 * 4;

/** A functional topology (tfjs-layers' format): layers with inbound nodes, one input and one output unless said otherwise. */
const input = (name: string, shape = [4]) => ({ class_name: 'InputLayer', name, config: { name, batch_input_shape: [null, ...shape] }, inbound_nodes: [] });
const node = (layer: { class_name: string; config: Record<string, unknown> }, reads: string[]) => ({ ...layer, name: layer.config['name'], inbound_nodes: [reads.map((r) => [r, 0, 0, {}])] });
const functional = (layers: unknown[], inputs: string | string[], outputs: string | string[]) => ({
  class_name: 'Model',
  config: { name: 'f', layers, input_layers: [inputs].flat().map((n) => [n, 0, 0]), output_layers: [outputs].flat().map((n) => [n, 0, 0]) },
});
const twoInputs = () => functional([input('a'), input('b'), node({ class_name: 'Concatenate', config: { name: 'cat', axis: -1 } }, ['a', 'b']), node(dense('d1', 3), ['cat'])], ['a', 'b'], 'd1');
const twoOutputs = () => functional([input('a'), node(dense('d1', 3), ['a']), node(dense('d2', 3), ['a'])], 'a', ['d1', 'd2']);

let n = 0;
/** A model folder: model.json from `json` (an object, or raw text) and weights.bin of `bytes` bytes. */
function model(json: unknown, bytes = BYTES): string {
  const dir = join(root, `m${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'model.json'), typeof json === 'string' ? json : JSON.stringify(json));
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(bytes));
  return dir;
}
const valid = (over: Record<string, unknown> = {}) => ({ modelTopology: TOPOLOGY, weightsManifest: [{ paths: ['weights.bin'], weights: WEIGHTS }], ...over });

function failure(path: string, inputShape: number[] = [4], classes = 3): { message: string; code: string; fix?: string; path?: string } {
  try {
    modelRegistry.create('tfjs', { path })(inputShape, classes);
  } catch (e) {
    if (!isPrunelabError(e)) throw new Error(`not a PrunelabError: ${String((e as Error).stack)}`);
    return { message: e.message, code: e.code, ...(e.details.fix !== undefined && { fix: e.details.fix }), ...(e.details.path !== undefined && { path: e.details.path }) };
  }
  throw new Error('no error');
}

describe('tfjs model files', () => {
  it('the fixture is a valid model (the cases below each break one thing)', () => {
    const before = tf.memory().numTensors;
    const arch = modelRegistry.create('tfjs', { path: model(valid()) })([4], 3);
    expect(arch.layers).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  const outsideDir = join(root, 'outside');
  mkdirSync(outsideDir);
  writeFileSync(join(outsideDir, 'secret.bin'), new Uint8Array(BYTES));

  const cases: Array<[string, () => string, RegExp]> = [
    ['a missing path', () => join(root, 'nope'), /not found/],
    ['model.json that is a folder', () => {
      const d = join(root, 'dirjson');
      mkdirSync(join(d, 'model.json'), { recursive: true });
      return d;
    }, /model\.json is a folder, not a file/],
    ['empty JSON', () => model(''), /is not valid JSON/],
    ['truncated JSON', () => model(JSON.stringify(valid()).slice(0, 50)), /is not valid JSON/],
    ['JSON null', () => model('null'), /holds null, not a tfjs model\.json object/],
    ['no topology', () => model(valid({ modelTopology: undefined })), /modelTopology is missing/],
    ['null manifest', () => model(valid({ weightsManifest: null })), /weightsManifest is null/],
    ['a null manifest group', () => model(valid({ weightsManifest: [null] })), /weightsManifest\[0\] is null/],
    ['a weight without a shape', () => model(valid({ weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'd1/kernel', dtype: 'float32' }] }] })), /shape must be a list/],
    ['a string dtype', () => model(valid({ weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'x', shape: [1], dtype: 'string' }] }] })), /unsupported dtype "string"/],
    ['a missing weight shard', () => model(valid({ weightsManifest: [{ paths: ['gone.bin'], weights: WEIGHTS }] })), /weight shard "gone\.bin" .* not found/],
    ['a short weight shard', () => model(valid(), BYTES - 4), /hold 56 bytes, the manifest's weights need 60/],
    ['a shard path that leaves the folder', () => model(valid({ weightsManifest: [{ paths: ['../outside/secret.bin'], weights: WEIGHTS }] })), /"\.\.\/outside\/secret\.bin" .* is outside the model's folder/],
    ['an absolute shard path', () => model(valid({ weightsManifest: [{ paths: ['/etc/hostname'], weights: WEIGHTS }] })), /is an absolute path/],
    ['a shard symlinked outside the folder', () => {
      const d = model(valid({ weightsManifest: [{ paths: ['link.bin'], weights: WEIGHTS }] }));
      symlinkSync(join(outsideDir, 'secret.bin'), join(d, 'link.bin'));
      return d;
    }, /"link\.bin" .* is outside the model's folder/],
    ['a shard that is a device', () => {
      const d = model(valid({ weightsManifest: [{ paths: ['zero.bin'], weights: WEIGHTS }] }));
      symlinkSync('/dev/zero', join(d, 'zero.bin'));
      return d;
    }, /outside the model's folder|not a regular file/],
    ['a huge shape in the manifest (never allocated)', () => model(valid({ weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'd1/kernel', shape: [1e6, 1e6], dtype: 'float32' }] }] })), /need 4000000000000/],
    ['an unsupported layer', () => model(valid({ modelTopology: { class_name: 'Sequential', config: { layers: [dense('d1', 3, { batch_input_shape: [null, 4] }), { class_name: 'LSTM', config: { name: 'lstm' } }] } } })), /unsupported layers: layers\[1\] lstm \(LSTM\)\. Rebuild/],
    ['a weight-shape mismatch', () => model(valid({ weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'd1/kernel', shape: [3, 4], dtype: 'float32' }, WEIGHTS[1]] }] })), /weight d1\/kernel has shape \[3, 4\], the layer needs \[4, 3\]/],
    ['a subclassed model', () => model(valid({ modelTopology: { class_name: 'MyNet', config: { layers: [] } } })), /only Sequential and functional \(Model\) models are supported, this is a MyNet model/],
    ['a functional model without layers', () => model(valid({ modelTopology: { class_name: 'Model', config: { layers: [] } } })), /the functional model has no layers/],
    ['a functional model with two inputs', () => model(valid({ modelTopology: twoInputs() })), /the model has 2 inputs \(a, b\); prunelab imports models with one input and one output/],
    ['a functional model with two outputs', () => model(valid({ modelTopology: twoOutputs() })), /the model has 2 outputs \(d1, d2\); prunelab imports models with one input and one output/],
    ['a functional layer that reads a missing layer', () => model(valid({ modelTopology: functional([input('a'), node(dense('d1', 3), ['ghost'])], 'a', 'd1') })), /layer 1 \(d1\) reads "ghost", which is not among the model's layers/],
    ['functional layers in a cycle', () => model(valid({ modelTopology: functional([input('a'), node(dense('d1', 3), ['d2']), node(dense('d2', 3), ['d1'])], 'a', 'd2') })), /inbound nodes form a cycle/],
    ['a functional model with a shared layer', () => model(valid({ modelTopology: functional([input('a'), { ...node(dense('d1', 4), ['a']), inbound_nodes: [[['a', 0, 0, {}]], [['a', 0, 0, {}]]] }], 'a', 'd1') })), /unsupported layers: layers\[1\] d1 \(Dense called 2 times: shared layers are not supported\)/],
    ['null layers', () => model(valid({ modelTopology: { class_name: 'Sequential', config: { layers: null } } })), /has no layers/],
    ['a null layer', () => model(valid({ modelTopology: { class_name: 'Sequential', config: { layers: [dense('d1', 3, { batch_input_shape: [null, 4] }), null] } } })), /layer 1 is null/],
    ['a layer config of the wrong type', () => model(valid({ modelTopology: { class_name: 'Sequential', config: { layers: [{ class_name: 'Conv2D', config: { name: 'c', batch_input_shape: [null, 4], kernel_size: null } }] } } })), /the model topology is malformed \(/],
    ['no input shape', () => model(valid({ modelTopology: { class_name: 'Sequential', config: { layers: [dense('d1', 3)] } } })), /no batch_input_shape/],
  ];

  it.each(cases)('%s: E_MODEL_INVALID on model.path with a fix', (_name, setup, message) => {
    const before = tf.memory().numTensors;
    const e = failure(setup());
    expect(e.message).toMatch(message);
    expect(e.code).toBe('E_MODEL_INVALID');
    expect(e.path).toBe('model.path');
    expect(e.fix).toBeTruthy();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a model that does not fit the dataset says which shape or class count differs', () => {
    const dir = model(valid());
    expect(failure(dir, [5]).message).toMatch(/expects input \[4\], the dataset gives \[5\]/);
    expect(failure(dir, [4], 10).message).toMatch(/has 3 outputs, the dataset has 10 classes/);
  });
});
