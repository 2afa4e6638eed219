import type { z } from 'zod';
import { Registry, type RegistryEntry } from '@prunelab/core';
import type { Structure } from '@prunelab/projection';

/**
 * Pruning structures: which groups of weights are kept or removed together.
 * Each entry validates its options and produces the projection's structure spec.
 */
export interface StructureEntry extends RegistryEntry<z.ZodType, Structure> {
  readonly reference: string;
  /** Whether the scorer must score units (neurons / filters) rather than weights. */
  readonly granularity: 'weight' | 'unit';
}

export const structureRegistry = new Registry<StructureEntry>('structure');
