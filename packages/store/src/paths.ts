import { join, relative, resolve, isAbsolute } from 'node:path';
import { PrunelabError, type ErrorDetails } from '@prunelab/core';

/**
 * Every file location prunelab writes to, in one place. The results folder is
 * `./results` by default; `PRUNELAB_RESULTS` or an explicit argument moves it.
 */
export interface ResultPaths {
  readonly root: string;
  readonly database: string;
  readonly denseCache: string;
  readonly bench: string;
  readonly reports: string;
}

export const DATABASE_FILE = 'prunelab.sqlite';

export function resultPaths(root?: string): ResultPaths {
  const dir = resolve(root ?? process.env['PRUNELAB_RESULTS'] ?? 'results');
  return {
    root: dir,
    database: join(dir, DATABASE_FILE),
    denseCache: join(dir, 'cache', 'dense'),
    bench: join(dir, 'bench'),
    reports: dir,
  };
}

/** Where a cached dense model lives, by its content key. */
export function denseModelFile(paths: ResultPaths, key: string): string {
  return join(paths.denseCache, `${key}.bin`);
}

/** The dense model's weights after optimizer step `step`, for late rewinding (Frankle et al. 2020). */
export function denseRewindFile(paths: ResultPaths, key: string, step: number): string {
  return join(paths.denseCache, `${key}.step-${step}.bin`);
}

/**
 * Where a point's artifact (its weights, see @prunelab/models' artifact
 * format) is kept: content-addressed by its sha256, under `artifacts/` in the
 * results folder. The path is stored relative to the folder of the database
 * (the results folder), so a folder copied or merged elsewhere keeps working.
 */
export function artifactPath(sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new PrunelabError('E_INTERNAL', `not a sha256: ${sha256}`);
  return `artifacts/${sha256.slice(0, 2)}/${sha256}.bin`;
}

/**
 * The file an artifacts row names, under `root` (the database's folder). The
 * row is data from a database that may have come from elsewhere (a merged
 * shard), so a path that leaves `artifacts/` is refused, never read or written.
 */
export function artifactFile(root: string, path: string, database: string): string {
  if (!/^artifacts\/[0-9a-f]{2}\/[0-9a-f]{64}\.bin$/.test(path)) {
    throw new PrunelabError('E_DATABASE_INVALID', `an artifacts row names ${JSON.stringify(path)}, not a file under artifacts/`, {
      file: database,
      fix: 'This database was not written by prunelab run; use the one prunelab wrote',
    });
  }
  return join(root, path);
}

/**
 * What a sweep name may be. Names become file names (the default report is
 * `<results>/<name>.html`) and appear in printed shell commands, so they are
 * checked wherever they enter: the sweep file's `name:`, a name taken from the
 * file name, and every sweep a merged shard database brings in.
 */
export const SWEEP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const SWEEP_NAME_RULE = 'letters, digits, dot, dash or underscore, starting with a letter or digit, at most 100 characters';

/** Throws a user error naming `name` unless it is a valid sweep name. */
export function checkSweepName(name: string, details: ErrorDetails & { fix: string }): string {
  if (!SWEEP_NAME_PATTERN.test(name)) {
    throw new PrunelabError('E_CONFIG_INVALID', `invalid sweep name: use ${SWEEP_NAME_RULE}`, { ...details, value: name });
  }
  return name;
}

/** The default report page of a sweep: always a file directly inside the results folder. */
export function reportFile(paths: ResultPaths, sweep: string): string {
  checkSweepName(sweep, { path: '--sweep', fix: 'Pass --out FILE.html to choose where the report goes' });
  const file = join(paths.reports, `${sweep}.html`);
  const rel = relative(paths.reports, file);
  if (rel.startsWith('..') || isAbsolute(rel) || rel.includes('/')) {
    throw new PrunelabError('E_CONFIG_INVALID', 'the default report path would leave the results folder', {
      path: '--sweep',
      value: sweep,
      fix: 'Pass --out FILE.html',
    });
  }
  return file;
}
