import { Registry } from '@prunelab/core';
import type { ScorerEntry } from './types.js';

export const scorerRegistry = new Registry<ScorerEntry>('scorer');
