import { PrunelabError } from '@prunelab/core';

/**
 * An invalid user model (a tfjs model.json, its shards or its topology). The
 * error is on `model.path`; the runner, which knows the sweep file, adds the
 * file:line:col where model.path is written.
 */
export function modelError(problem: string, fix: string): PrunelabError {
  return new PrunelabError('E_MODEL_INVALID', problem, { path: 'model.path', fix });
}
