import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readRegularFile } from '@prunelab/core';
import { modelError } from './model-error.js';

/**
 * A file-system IOHandler for tfjs LayersModels in plain Node. tfjs-layers
 * registers no file:// router without @tensorflow/tfjs-node, so reading a
 * user's converted Keras model (model.json + .bin shards, the tfjs "layers
 * model" format) and exporting ours go through this small handler instead.
 */
export interface ModelJsonFile {
  readonly modelTopology: unknown;
  readonly weightsManifest: ReadonlyArray<{ readonly paths: readonly string[]; readonly weights: readonly tf.io.WeightsManifestEntry[] }>;
  readonly format?: string;
  readonly generatedBy?: string;
  readonly convertedBy?: string | null;
  /** Free-form metadata (tfjs-layers' getUserDefinedMetadata): prunelab's export records the point it came from. */
  readonly userDefinedMetadata?: tf.io.ModelArtifacts['userDefinedMetadata'];
}

/** A model.json larger than this is not a topology (LeNet-5's is about 5 KiB). */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;
/** All weight shards together: 2 GiB, past what a wasm backend can hold anyway. */
const MAX_WEIGHT_BYTES = 2 * 1024 * 1024 * 1024;

const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };
const QUANTIZED_BYTES: Readonly<Record<string, number>> = { uint8: 1, uint16: 2, float16: 2 };

/**
 * Reads `model.json` and its shards synchronously. The weight specs of every
 * manifest group are concatenated in order and so is the shard data, which is
 * how tfjs' own loaders lay them out.
 *
 * The file is user input: every way it can be wrong (not a file, not JSON, no
 * topology, a manifest entry of the wrong type, a shard outside the model's
 * folder, shards shorter or longer than the manifest says) is an
 * E_MODEL_INVALID error on `model.path` that says what to fix, and nothing is
 * allocated from manifest sizes before they are checked against the bytes.
 */
export function readModelArtifactsSync(modelJsonPath: string): tf.io.ModelArtifacts {
  const path = resolve(modelJsonPath);
  const read = readRegularFile(path, MAX_MODEL_JSON_BYTES);
  if (!read.ok) {
    throw modelError(
      `the tfjs model ${path} ${read.problem}`,
      read.problem === 'not found' || read.problem.startsWith('is a folder')
        ? 'Set model.path to a model.json, or to the folder that holds one'
        : 'Set model.path to the model.json written by tensorflowjs_converter or model.save()',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(read.bytes.toString('utf8'));
  } catch (e) {
    throw modelError(`${path} is not valid JSON (${(e as Error).message})`, 'Convert the model again (tensorflowjs_converter), or copy the file again: it may be truncated');
  }
  const file = checkModelJson(json, path);
  const dir = dirname(path);
  const realDir = realpathSync(dir);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (const group of file.weightsManifest) {
    specs.push(...group.weights);
    for (const shard of group.paths) {
      const shardFile = resolve(dir, shard);
      const problem = outside(realDir, shardFile, shard);
      if (problem !== undefined) throw modelError(`weight shard ${JSON.stringify(shard)} listed in ${path} ${problem}`, 'Shard paths are file names relative to the model.json; keep the shards in its folder');
      const data = readRegularFile(shardFile, MAX_WEIGHT_BYTES - total);
      if (!data.ok) throw modelError(`weight shard ${JSON.stringify(shard)} listed in ${path} ${data.problem}`, 'Copy every .bin file that model.json lists into its folder');
      chunks.push(data.bytes);
      total += data.bytes.byteLength;
    }
  }
  const need = specs.reduce((s, w) => s + weightBytes(w), 0);
  if (need !== total) {
    throw modelError(
      `the weight shards of ${path} hold ${total} bytes, the manifest's weights need ${need}`,
      total < need ? 'A shard is truncated or missing: copy the .bin files again' : 'The shards do not belong to this model.json: convert the model again',
    );
  }
  const data = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    data.set(c, offset);
    offset += c.byteLength;
  }
  return {
    modelTopology: file.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: specs,
    weightData: data.buffer,
    ...(typeof file.format === 'string' && { format: file.format }),
    ...(typeof file.generatedBy === 'string' && { generatedBy: file.generatedBy }),
    ...((typeof file.convertedBy === 'string' || file.convertedBy === null) && { convertedBy: file.convertedBy }),
    ...(file.userDefinedMetadata !== undefined && isObject(file.userDefinedMetadata) && { userDefinedMetadata: file.userDefinedMetadata }),
  };
}

const NOT_LAYERS = 'Give a tfjs layers model (tensorflowjs_converter --input_format keras, or model.save() in tfjs)';

/** The shape of model.json, checked field by field so a null or a string where a list belongs is named. */
function checkModelJson(json: unknown, path: string): ModelJsonFile {
  if (!isObject(json)) throw modelError(`${path} holds ${describe(json)}, not a tfjs model.json object`, NOT_LAYERS);
  const topology = json['modelTopology'];
  if (!isObject(topology)) {
    throw modelError(`${path} is not a tfjs layers model.json: modelTopology is ${topology === undefined ? 'missing' : describe(topology)}`, NOT_LAYERS);
  }
  const manifest = json['weightsManifest'];
  if (!Array.isArray(manifest)) {
    throw modelError(`${path} is not a tfjs layers model.json: weightsManifest is ${manifest === undefined ? 'missing' : describe(manifest)}`, NOT_LAYERS);
  }
  manifest.forEach((group: unknown, g) => {
    const at = `${path}: weightsManifest[${g}]`;
    if (!isObject(group)) throw modelError(`${at} is ${describe(group)}, not { paths, weights }`, NOT_LAYERS);
    const paths = group['paths'];
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p.length > 0)) throw modelError(`${at}.paths must be a list of file names`, NOT_LAYERS);
    const weights = group['weights'];
    if (!Array.isArray(weights)) throw modelError(`${at}.weights must be a list`, NOT_LAYERS);
    weights.forEach((w: unknown, i) => {
      const wat = `${at}.weights[${i}]`;
      if (!isObject(w) || typeof w['name'] !== 'string') throw modelError(`${wat} must be { name, shape, dtype }`, NOT_LAYERS);
      const shape = w['shape'];
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
        throw modelError(`${wat} (${w['name']}): shape must be a list of non-negative integers`, NOT_LAYERS);
      }
      const q = w['quantization'];
      const dtype = isObject(q) ? q['dtype'] : w['dtype'];
      const table = isObject(q) ? QUANTIZED_BYTES : DTYPE_BYTES;
      if (typeof dtype !== 'string' || table[dtype] === undefined) {
        throw modelError(`${wat} (${w['name']}): unsupported dtype ${JSON.stringify(dtype)}`, `Weights must be ${Object.keys(DTYPE_BYTES).join(', ')} (or quantized ${Object.keys(QUANTIZED_BYTES).join(', ')})`);
      }
    });
  });
  return json as unknown as ModelJsonFile;
}

/** Bytes one weight takes in the shards (its elements times the stored dtype's size). */
function weightBytes(w: tf.io.WeightsManifestEntry): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  return n * (w.quantization ? QUANTIZED_BYTES[w.quantization.dtype]! : DTYPE_BYTES[w.dtype]!);
}

/** Why `file` (listed as `shard`) lies outside the model's real folder, or undefined. Symlinks are followed. */
function outside(realDir: string, file: string, shard: string): string | undefined {
  if (isAbsolute(shard)) return 'is an absolute path';
  const inside = (target: string) => {
    const rel = relative(realDir, target);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  };
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    // Missing: judged by its name; the read then reports it as not found.
    return inside(resolve(realDir, shard)) ? undefined : "is outside the model's folder";
  }
  return inside(real) ? undefined : "is outside the model's folder";
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return `a ${typeof v}`;
}

/**
 * `load` reads `<dir>/model.json` (or the given .json path); `save` writes
 * `model.json` and one `weights.bin` shard into `dir`.
 */
export function fileIOHandler(dirOrJson: string): Required<Pick<tf.io.IOHandler, 'load' | 'save'>> {
  const jsonPath = dirOrJson.endsWith('.json') ? dirOrJson : join(dirOrJson, 'model.json');
  return {
    load: async () => readModelArtifactsSync(jsonPath),
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('binary (graph-model protobuf) topologies are not supported');
      mkdirSync(dirname(jsonPath), { recursive: true });
      const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const weightsFile = 'weights.bin';
      const json: ModelJsonFile = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_core}`,
        convertedBy: artifacts.convertedBy ?? 'prunelab',
        weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata !== undefined && { userDefinedMetadata: artifacts.userDefinedMetadata }),
      };
      writeFileSync(join(dirname(jsonPath), weightsFile), new Uint8Array(data));
      writeFileSync(jsonPath, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}
