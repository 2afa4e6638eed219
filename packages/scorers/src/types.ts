import type { z } from 'zod';
import type { RegistryEntry } from '@prunelab/core';
import type { LoadedDataset } from '@prunelab/datasets';
import type { NamedArray, Net } from '@prunelab/models';
import type { LayerScores } from '@prunelab/projection';

export type ScorerFamily = 'sparsity' | 'robustness' | 'information' | 'baseline';
export type Granularity = 'weight' | 'unit';

/** What a scorer may look at: the network, calibration data from the train split, and a seed. */
export interface ScoreContext {
  readonly net: Net;
  readonly ds: LoadedDataset;
  readonly seed: number;
  /**
   * The net's weights right after initialisation (from `getWeights`), when the
   * caller has them. Scorers defined at initialisation (`snip` with
   * `atInit: true`) score a net temporarily set to these weights and restore
   * the current ones afterwards; every other scorer ignores them.
   */
  readonly initialWeights?: readonly NamedArray[];
}

/**
 * A scored layer, optionally with one score per output unit (dense neuron or
 * conv filter). Scorers that are only defined per unit (entropy, apoz,
 * mutual-information, unit ablation) set `unitScores` and give every weight of
 * unit j the score `unitScores[j] / (weights in unit j)`, so that a 'sum' or
 * 'l1' reduction over the unit recovers the unit score exactly (their unit
 * scores are never negative).
 */
export interface UnitScoredLayer extends LayerScores {
  readonly unitScores?: Float32Array;
}

export interface Scorer {
  /** One importance per prunable kernel weight, in the kernel's row-major order. */
  score(ctx: ScoreContext): Promise<UnitScoredLayer[]>;
}

export interface ScorerEntry extends RegistryEntry<z.ZodType, Scorer> {
  readonly family: ScorerFamily;
  readonly granularities: readonly Granularity[];
  /** Paper and formula, shown by `prunelab list scorers`. */
  readonly reference: string;
  /**
   * True when the scores read the weights alone, never the data (magnitude,
   * random): `prunelab prune` runs such a scorer without a dataset. Every
   * other scorer needs calibration data.
   */
  readonly dataFree?: boolean;
}
