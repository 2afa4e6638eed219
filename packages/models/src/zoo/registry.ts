import type { z } from 'zod';
import { Registry, type RegistryEntry } from '@prunelab/core';
import type { Architecture } from '../architecture.js';

/** Builds an architecture for a dataset's input shape and class count. */
export type ArchitectureFactory = (inputShape: readonly number[], classes: number) => Architecture;

export interface ModelEntry extends RegistryEntry<z.ZodType, ArchitectureFactory> {
  /** Paper the architecture comes from. */
  readonly reference: string;
}

export const modelRegistry = new Registry<ModelEntry>('model');
