import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

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
}

/**
 * Reads `model.json` and its shards synchronously. The weight specs of every
 * manifest group are concatenated in order and so is the shard data, which is
 * how tfjs' own loaders lay them out.
 */
export function readModelArtifactsSync(modelJsonPath: string): tf.io.ModelArtifacts {
  const path = resolve(modelJsonPath);
  let json: ModelJsonFile;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as ModelJsonFile;
  } catch (e) {
    throw new Error(`cannot read the tfjs model ${path}: ${(e as Error).message}`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${path} is not a tfjs layers model.json (modelTopology and weightsManifest are required)`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const shard of group.paths) {
      const file = join(dirname(path), shard);
      try {
        chunks.push(readFileSync(file));
      } catch (e) {
        throw new Error(`weight shard ${shard} listed in ${path} cannot be read: ${(e as Error).message}`);
      }
    }
  }
  const total = chunks.reduce((s, c) => s + c.byteLength, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    data.set(c, offset);
    offset += c.byteLength;
  }
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: specs,
    weightData: data.buffer,
    ...(json.format !== undefined && { format: json.format }),
    ...(json.generatedBy !== undefined && { generatedBy: json.generatedBy }),
    ...(json.convertedBy !== undefined && { convertedBy: json.convertedBy }),
  };
}

/**
 * `load` reads `<dir>/model.json` (or the given .json path); `save` writes
 * `model.json` and one `weights.bin` shard into `dir`.
 */
export function fileIOHandler(dirOrJson: string): tf.io.IOHandler {
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
      };
      writeFileSync(join(dirname(jsonPath), weightsFile), new Uint8Array(data));
      writeFileSync(jsonPath, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}
