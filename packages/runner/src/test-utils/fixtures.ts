import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainingConfig } from '@prunelab/models';
import type { RunConfig } from '../config/schema.js';

/** A fresh temporary folder for one test. */
export function tempDir(prefix = 'prunelab-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a sweep file into `dir` and returns its path. */
export function writeSweep(dir: string, yaml: string, name = 'sweep.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

/** A sweep small enough to run in seconds: synthetic blobs, a 16-unit MLP. */
export const TINY_SWEEP = `name: tiny
dataset: { name: synthetic, kind: blobs, dims: 8, classes: 3, trainSize: 600, valSize: 100, testSize: 300 }
model: { name: mlp, hidden: [16] }
train: { epochs: 2, batchSize: 50, lr: 0.01 }
finetune: { epochs: 1, batchSize: 50, lr: 0.001 }
prune: { sparsities: [0.5, 0.9] }
grid:
  scorer: [magnitude, random]
seeds: [0, 1]
`;

/** A run's dense training config; fails the test for `train: none`. */
export function trainOf(config: RunConfig): TrainingConfig {
  if (config.train === 'none') throw new Error('this run has train: none');
  return config.train;
}
