import { join, resolve } from 'node:path';

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
