import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PointRecord } from '../point-record.js';
import type { RunRecord } from '../writer.js';

/** A fresh database path in its own temporary folder. */
export const tempDbFile = (): string => join(mkdtempSync(join(tmpdir(), 'prunelab-store-')), 'db.sqlite');

export const runRecord = (id: string, scorer = 'magnitude'): RunRecord => ({
  id,
  sweep: 's',
  config: { scorer },
  seed: 0,
  dataset: 'mnist',
  model: 'mlp',
  scorer,
  structure: 'unstructured',
  scope: 'global',
  schedule: 'one-shot',
  axes: { scorer },
  datasetIdentity: { checksum: 'x' },
  budget: { epochs: 1 },
  denseKey: 'd',
});

export const pointRecord = (step: number, phase: PointRecord['phase'], target: number, accuracy: number): PointRecord => ({
  step,
  phase,
  onCurve: phase !== 'pruned',
  targetSparsity: target,
  sparsity: target,
  nonzeroParams: Math.round(100 * (1 - target)),
  prunableParams: 100,
  totalParams: 110,
  nonzeroTotal: 10 + Math.round(100 * (1 - target)),
  accuracy,
  loss: 1 - accuracy,
  macsDense: 100,
  macsEffective: 100 * (1 - target),
  perLayer: { dense1: target },
  wallMs: 1,
});
