import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, link, put, run, type BadInput } from '../case.js';

const dense = (name: string, units: number, extra: Record<string, unknown> = {}) => ({
  class_name: 'Dense',
  config: { name, units, activation: 'linear', use_bias: true, ...extra },
});
/** A valid Sequential model for BASE's data (4 inputs, 3 classes): the control case runs it. */
export const MODEL_TOPOLOGY = { class_name: 'Sequential', config: { name: 's', layers: [dense('d1', 3, { batch_input_shape: [null, 4] })] } };
export const MODEL_WEIGHTS = [
  { name: 'd1/kernel', shape: [4, 3], dtype: 'float32' },
  { name: 'd1/bias', shape: [3], dtype: 'float32' },
];
const BYTES = 15 * 4;
/** A functional topology (tfjs-layers' format): layers with inbound nodes; the last layer is the output. */
const input = (name: string) => ({ class_name: 'InputLayer', name, config: { name, batch_input_shape: [null, 4] }, inbound_nodes: [] });
const node = (name: string, class_name: string, reads: string[], config: Record<string, unknown> = {}) => ({
  class_name,
  name,
  config: { name, ...config },
  inbound_nodes: [reads.map((r) => [r, 0, 0, {}])],
});
const functional = (layers: Array<{ name: string }>, inputs: string[]) => ({
  class_name: 'Model',
  config: { name: 'f', layers, input_layers: inputs.map((n) => [n, 0, 0]), output_layers: [[layers.at(-1)!.name, 0, 0]] },
});
const valid = (over: Record<string, unknown> = {}) => ({
  modelTopology: MODEL_TOPOLOGY,
  weightsManifest: [{ paths: ['weights.bin'], weights: MODEL_WEIGHTS }],
  ...over,
});

/** The sweep, with model.path at line 3, column 24 (`model: { name: tfjs, path: m }`). */
const MODEL_SWEEP = BASE.replace('model: { name: mlp, hidden: [4] }', 'model: { name: tfjs, path: m }');
const POSITION = /sweep\.yaml:3:\d+: model\.path: /;

/** A model folder m/ holding model.json (an object, or raw text) and weights.bin of `bytes` bytes. */
export function modelFolder(json: unknown, bytes = BYTES, extra?: (dir: string) => void): (dir: string) => void {
  return (dir) => {
    put(dir, 'sweep.yaml', MODEL_SWEEP);
    put(dir, 'm/model.json', typeof json === 'string' ? json : JSON.stringify(json));
    put(dir, 'm/weights.bin', new Uint8Array(bytes));
    extra?.(dir);
  };
}

const expectAt = (problem: string): RegExp => new RegExp(`${POSITION.source}${problem}`);

/** A user's own tfjs model (model: { name: tfjs, path }): every failure of the import. */
export const modelCases: BadInput[] = [
  {
    name: 'model.path that does not exist',
    setup: (d) => put(d, 'sweep.yaml', MODEL_SWEEP),
    args: run(),
    message: expectAt('the tfjs model .*m/model\\.json not found\\. Set model\\.path to a model\\.json, or to the folder'),
  },
  {
    name: 'model.json that is a folder',
    setup: (d) => (put(d, 'sweep.yaml', MODEL_SWEEP), mkdirSync(join(d, 'm', 'model.json'), { recursive: true })),
    args: run(),
    message: expectAt('the tfjs model .*model\\.json is a folder, not a file'),
  },
  {
    name: 'model.json that is /dev/zero',
    setup: (d) => (put(d, 'sweep.yaml', MODEL_SWEEP), link(d, 'm/model.json', '/dev/zero')),
    args: run(),
    message: expectAt('the tfjs model .*model\\.json is a character device, not a regular file'),
  },
  { name: 'empty model.json', setup: modelFolder(''), args: run(), message: expectAt('.*model\\.json is not valid JSON .*\\. Convert the model again') },
  {
    name: 'truncated model.json',
    setup: modelFolder(JSON.stringify(valid()).slice(0, 60)),
    args: run(),
    message: expectAt('.*model\\.json is not valid JSON'),
  },
  { name: 'model.json holding null', setup: modelFolder('null'), args: run(), message: expectAt('.*model\\.json holds null, not a tfjs model\\.json object') },
  {
    name: 'no topology',
    setup: modelFolder(valid({ modelTopology: undefined })),
    args: run(),
    message: expectAt('.*is not a tfjs layers model\\.json: modelTopology is missing'),
  },
  { name: 'a null weights manifest', setup: modelFolder(valid({ weightsManifest: null })), args: run(), message: expectAt('.*weightsManifest is null') },
  {
    name: 'a null manifest entry',
    setup: modelFolder(valid({ weightsManifest: [null] })),
    args: run(),
    message: expectAt('.*weightsManifest\\[0\\] is null, not \\{ paths, weights \\}'),
  },
  {
    name: 'a missing weight shard',
    setup: modelFolder(valid({ weightsManifest: [{ paths: ['gone.bin'], weights: MODEL_WEIGHTS }] })),
    args: run(),
    message: expectAt('weight shard "gone\\.bin" listed in .* not found\\. Copy every \\.bin file'),
  },
  {
    name: 'a short weight shard',
    setup: modelFolder(valid(), BYTES - 8),
    args: run(),
    message: expectAt("the weight shards of .* hold 52 bytes, the manifest's weights need 60\\. A shard is truncated"),
  },
  {
    name: 'a weight shard outside the model folder (../../etc/hostname)',
    setup: modelFolder(valid({ weightsManifest: [{ paths: ['../../etc/hostname'], weights: MODEL_WEIGHTS }] })),
    args: run(),
    message: expectAt('weight shard "\\.\\./\\.\\./etc/hostname" listed in .* is outside the model\'s folder'),
  },
  {
    name: 'an absolute weight shard path',
    setup: modelFolder(valid({ weightsManifest: [{ paths: ['/etc/hostname'], weights: MODEL_WEIGHTS }] })),
    args: run(),
    message: expectAt('weight shard "/etc/hostname" .* is an absolute path'),
  },
  {
    name: 'a weight shard symlinked to /dev/zero',
    setup: modelFolder(valid({ weightsManifest: [{ paths: ['zero.bin'], weights: MODEL_WEIGHTS }] }), BYTES, (d) => link(d, 'm/zero.bin', '/dev/zero')),
    args: run(),
    message: expectAt('weight shard "zero\\.bin" .* (is outside the model\'s folder|not a regular file)'),
  },
  {
    name: 'an unsupported layer',
    setup: modelFolder(
      valid({
        modelTopology: {
          class_name: 'Sequential',
          config: { layers: [dense('d1', 3, { batch_input_shape: [null, 4] }), { class_name: 'LSTM', config: { name: 'lstm' } }] },
        },
      }),
    ),
    args: run(),
    message: expectAt('.*unsupported layers: layers\\[1\\] lstm \\(LSTM\\)\\. Rebuild the model from supported layers: Dense, Conv2D'),
  },
  {
    name: 'a weight-shape mismatch',
    setup: modelFolder(
      valid({ weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'd1/kernel', shape: [3, 4], dtype: 'float32' }, MODEL_WEIGHTS[1]] }] }),
    ),
    args: run(),
    message: expectAt('.*weight d1/kernel has shape \\[3, 4\\], the layer needs \\[4, 3\\]'),
  },
  {
    name: 'a subclassed model',
    setup: modelFolder(valid({ modelTopology: { class_name: 'MyNet', config: { layers: [] } } })),
    args: run(),
    message: expectAt(
      '.*only Sequential and functional \\(Model\\) models are supported, this is a MyNet model\\. Rebuild it as a tf\\.keras\\.Sequential or a functional tf\\.keras\\.Model',
    ),
  },
  {
    name: 'a functional model with two inputs',
    setup: modelFolder(
      valid({
        modelTopology: functional([input('a'), input('b'), node('cat', 'Concatenate', ['a', 'b']), node('d1', 'Dense', ['cat'], { units: 3 })], ['a', 'b']),
      }),
    ),
    args: run(),
    message: expectAt(
      '.*the model has 2 inputs \\(a, b\\); prunelab imports models with one input and one output\\. Build the model with a single tf\\.keras\\.Input',
    ),
  },
  {
    name: 'a functional model with unsupported layers (every one named, after one another)',
    setup: modelFolder(
      valid({
        modelTopology: functional(
          [
            input('x'),
            node('leaky', 'LeakyReLU', ['x']),
            node('d1', 'Dense', ['leaky'], { units: 3, activation: 'linear', use_bias: true }),
            node('lambda', 'Lambda', ['d1']),
          ],
          ['x'],
        ),
      }),
    ),
    args: run(),
    message: expectAt(
      '.*unsupported layers: layers\\[1\\] leaky \\(LeakyReLU\\); layers\\[3\\] lambda \\(Lambda\\)\\. Rebuild the model from supported layers: InputLayer, Dense, Conv2D, DepthwiseConv2D, BatchNormalization',
    ),
  },
  {
    name: 'null layers',
    setup: modelFolder(valid({ modelTopology: { class_name: 'Sequential', config: { layers: null } } })),
    args: run(),
    message: expectAt('.*the Sequential model has no layers'),
  },
  {
    name: 'a null layer',
    setup: modelFolder(valid({ modelTopology: { class_name: 'Sequential', config: { layers: [dense('d1', 3, { batch_input_shape: [null, 4] }), null] } } })),
    args: run(),
    message: expectAt('.*layer 1 is null'),
  },
  {
    name: 'a layer config with a null kernel size',
    setup: modelFolder(
      valid({
        modelTopology: {
          class_name: 'Sequential',
          config: { layers: [{ class_name: 'Conv2D', config: { name: 'c', batch_input_shape: [null, 4], kernel_size: null } }] },
        },
      }),
    ),
    args: run(),
    message: expectAt('.*the model topology is malformed'),
  },
  {
    name: 'a weight with a string dtype',
    setup: modelFolder(valid({ weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'x', shape: [1], dtype: 'string' }] }] })),
    args: run(),
    message: expectAt('.*unsupported dtype "string"'),
  },
  {
    name: 'a manifest shape of 10^12 values (never allocated)',
    setup: modelFolder(valid({ weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'd1/kernel', shape: [1e6, 1e6], dtype: 'float32' }] }] })),
    args: run(),
    message: expectAt(".*the manifest's weights need 4000000000000"),
  },
  {
    name: 'a model for 5 inputs on 4-input data',
    setup: modelFolder(
      valid({
        modelTopology: { class_name: 'Sequential', config: { layers: [dense('d1', 3, { batch_input_shape: [null, 5] })] } },
        weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'd1/kernel', shape: [5, 3], dtype: 'float32' }, MODEL_WEIGHTS[1]] }],
      }),
      18 * 4,
    ),
    args: run(),
    message: expectAt('.*the model expects input \\[5\\], the dataset gives \\[4\\]'),
  },
  {
    name: 'a model with 2 outputs for 3 classes',
    setup: modelFolder(
      valid({
        modelTopology: { class_name: 'Sequential', config: { layers: [dense('d1', 2, { batch_input_shape: [null, 4] })] } },
        weightsManifest: [
          {
            paths: ['weights.bin'],
            weights: [
              { name: 'd1/kernel', shape: [4, 2], dtype: 'float32' },
              { name: 'd1/bias', shape: [2], dtype: 'float32' },
            ],
          },
        ],
      }),
      10 * 4,
    ),
    args: run(),
    message: expectAt('.*the model has 2 outputs, the dataset has 3 classes'),
  },
  {
    name: 'a model without an input shape',
    setup: modelFolder(valid({ modelTopology: { class_name: 'Sequential', config: { layers: [dense('d1', 3)] } } })),
    args: run(),
    message: expectAt('.*the first layer has no batch_input_shape'),
  },
];
