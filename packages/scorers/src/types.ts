import type { z } from 'zod';
import type { RegistryEntry } from '@prunelab/core';
import type { LoadedDataset } from '@prunelab/datasets';
import type { Net, ScoredLayer } from '@prunelab/models';

export type ScorerFamily = 'sparsity' | 'robustness' | 'information' | 'baseline';
export type Granularity = 'weight' | 'unit';

/** What a scorer may look at: the network, calibration data from the train split, and a seed. */
export interface ScoreContext {
  readonly net: Net;
  readonly ds: LoadedDataset;
  readonly seed: number;
}

export interface Scorer {
  /** One importance per prunable kernel weight, in the kernel's row-major order. */
  score(ctx: ScoreContext): Promise<ScoredLayer[]>;
}

export interface ScorerEntry extends RegistryEntry<z.ZodType, Scorer> {
  readonly family: ScorerFamily;
  readonly granularities: readonly Granularity[];
  /** Paper and formula, shown by `prunelab list scorers`. */
  readonly reference: string;
}
