import type { RegistryEntry } from '@prunelab/core';
import type { z } from 'zod';
import type { LoadContext } from './options.js';
import type { LoadedDataset } from './types.js';

/** Whether a dataset's files are present, without reading them. */
export interface Availability {
  readonly available: boolean;
  readonly reason?: string;
}

/** Availability from a check that throws when the files are missing: its message is the reason. */
export function availableIf(check: () => unknown): Availability {
  try {
    check();
    return { available: true };
  } catch (e) {
    return { available: false, reason: (e as Error).message };
  }
}

/**
 * A dataset plug-in: the core registry entry (name, description, option
 * schema, `create`) plus what `listDatasets` shows and a loader that also gets
 * the config file's name for its messages.
 */
export interface DatasetEntry<S extends z.ZodType = z.ZodType> extends RegistryEntry<S, Promise<LoadedDataset>> {
  /** Example shape with default options. */
  readonly shape: readonly number[];
  /** Class count with default options. */
  readonly classes: number;
  availability(): Availability;
  /** The command that gets the files when they are missing (shown by `prunelab list datasets`); none for generated data. */
  readonly obtain?: string;
  load(options: z.output<S>, ctx: LoadContext): Promise<LoadedDataset>;
}

export function defineDataset<S extends z.ZodType>(e: Omit<DatasetEntry<S>, 'create'>): DatasetEntry<S> {
  return { ...e, availability: e.availability, load: e.load, create: (options) => e.load(options, {}) };
}
