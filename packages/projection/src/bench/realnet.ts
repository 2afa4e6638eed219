/**
 * A real trained network's scores for the projection benchmark: the kernel
 * magnitudes of LeNet-300-100 after one epoch on MNIST, trained in PyTorch by
 * scripts/torch-kthvalue.py (`lenet300`; the recipe is in its docstring). The
 * training is deterministic (seed 0, one thread), so its output is kept in the
 * temporary folder under a hash of the script and reused by later runs.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayerScores } from '../types.js';
import { oneThreadEnv, pythonPath } from './torch.js';

export interface TrainedScores {
  layers: LayerScores[];
  /** Where the magnitudes are (float32, layer by layer). */
  file: string;
  testAccuracy: number;
}

const NAMES = ['fc1', 'fc2', 'fc3'];

/** Trains (or reuses) the network; `mnistDir` holds the four MNIST IDX files. */
export function lenet300Magnitudes(script: string, mnistDir: string): TrainedScores | { error: string } {
  const key = createHash('sha256').update(readFileSync(script)).digest('hex').slice(0, 16);
  const file = join(tmpdir(), `prunelab-lenet300-${key}.bin`);
  const metaFile = `${file}.json`;
  if (!existsSync(metaFile)) {
    const r = spawnSync(pythonPath(), [script, 'lenet300', mnistDir, file], { encoding: 'utf8', env: oneThreadEnv() });
    if (r.status !== 0) return { error: `${pythonPath()} ${script} lenet300 failed: ${(r.stderr || String(r.error)).trim().split('\n').pop() ?? ''}` };
    writeFileSync(metaFile, r.stdout.trim().split('\n').pop()!);
  }
  return { ...readLenet300(file), file, testAccuracy: (JSON.parse(readFileSync(metaFile, 'utf8')) as { testAccuracy: number }).testAccuracy };
}

/** Reads the magnitudes written by the script: fc1 [784, 300], fc2 [300, 100], fc3 [100, 10]. */
export function readLenet300(file: string): { layers: LayerScores[] } {
  const shapes = [
    [784, 300],
    [300, 100],
    [100, 10],
  ];
  const buf = readFileSync(file);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  let at = 0;
  const layers = shapes.map((shape, i) => {
    const n = shape[0]! * shape[1]!;
    const scores = all.slice(at, at + n);
    at += n;
    return { name: NAMES[i]!, shape, scores };
  });
  if (at !== all.length) throw new Error(`${file}: ${all.length} values, expected ${at}`);
  return { layers };
}
