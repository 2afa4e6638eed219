import { z } from 'zod';
import { log } from '@prunelab/core';
import { modelRegistry } from './registry.js';
import { readModelArtifactsSync } from '../io/fs-handler.js';
import { importLayersModel } from '../io/keras-import.js';

/**
 * A user's own tfjs LayersModel (model.json + weight shards, e.g. a Keras
 * model converted with tensorflowjs_converter), so researchers can prune their
 * own network. Dense and Conv2D layers are prunable; pooling, flatten,
 * activations, dropout and batch normalisation are carried along unpruned and
 * listed in the architecture's notes (and logged). The model's own weights are
 * the initial weights; the run's `seed` still drives data order.
 */
const tfjsModelSchema = z
  .object({
    path: z.string().min(1).describe('Path to the model.json (or the folder holding it); shards are read relative to it.'),
  })
  .strict();

modelRegistry.register({
  name: 'tfjs',
  description: 'Your own tfjs LayersModel, Sequential or functional (model.json + weights, e.g. converted from Keras).',
  reference: 'TensorFlow.js layers-model format; Keras Sequential and functional models',
  schema: tfjsModelSchema,
  create: (o: z.output<typeof tfjsModelSchema>) => (inputShape, classes) => {
    const path = o.path.endsWith('.json') ? o.path : `${o.path.replace(/\/$/, '')}/model.json`;
    const imported = importLayersModel(readModelArtifactsSync(path), path, { inputShape, classes });
    if (imported.skipped.length > 0) log.info(`tfjs model ${path}: layers carried along unpruned: ${imported.skipped.join(', ')}`);
    return imported.arch;
  },
});
