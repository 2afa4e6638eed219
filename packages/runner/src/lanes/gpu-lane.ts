import { createRequire } from 'node:module';
import { log } from '@prunelab/core';
import { createPoolLane } from './cpu-lane.js';
import type { Lane } from './types.js';

const require = createRequire(import.meta.url);

function installed(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

let said = false;

/**
 * The GPU lane: one worker holding a GPU backend, when one is installed.
 * `@tensorflow/tfjs-node-gpu` (CUDA) is preferred. The lane's worker checks at
 * its first task that TensorFlow really sees a GPU; if not, the lane retires
 * and its runs go back to the CPU lanes. Without a GPU package the lane is
 * absent, and we say so once.
 */
export async function detectGpuLane(): Promise<Lane[]> {
  if (installed('@tensorflow/tfjs-node-gpu')) {
    log.info('GPU lane: @tensorflow/tfjs-node-gpu (CUDA), 1 worker');
    return [createPoolLane({ name: 'gpu', threads: 1, backend: 'tensorflow' })];
  }
  if (!said) {
    said = true;
    log.info('no GPU lane: @tensorflow/tfjs-node-gpu is not installed (its install needs libtensorflow); running on CPU lanes only');
  }
  return [];
}
