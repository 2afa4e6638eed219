import { Registry } from '@prunelab/core';
import { cifar10 } from './cifar10.js';
import type { DatasetEntry } from './entry.js';
import { fashionMnist } from './fashion-mnist.js';
import { mnist } from './mnist.js';
import { synthetic } from './synthetic/dataset.js';

/** Every dataset by name. `datasetRegistry.create(name, options)` validates and loads (a Promise). */
export const datasetRegistry = new Registry<DatasetEntry>('dataset');
datasetRegistry.register(mnist);
datasetRegistry.register(fashionMnist);
datasetRegistry.register(cifar10);
datasetRegistry.register(synthetic);

export interface DatasetListing {
  readonly name: string;
  readonly description: string;
  /** Example shape with default options. */
  readonly shape: readonly number[];
  readonly classes: number;
  /** False when the files are not where the loader looks; `reason` says where it looked and how to get them. */
  readonly available: boolean;
  readonly reason?: string;
  /** When unavailable: the one command that gets the files (e.g. `prunelab data fetch cifar10`). */
  readonly obtain?: string;
}

/** The registered datasets and whether each can be loaded here (existence and size checks only; no reading). */
export function listDatasets(): DatasetListing[] {
  return datasetRegistry.list().map((e) => {
    const a = e.availability();
    return {
      name: e.name,
      description: e.description,
      shape: [...e.shape],
      classes: e.classes,
      available: a.available,
      ...(a.reason !== undefined && { reason: a.reason }),
      ...(!a.available && e.obtain !== undefined && { obtain: e.obtain }),
    };
  });
}
