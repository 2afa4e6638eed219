import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileExists } from './files.js';

/**
 * The data folder, where `prunelab data fetch` puts datasets and loaders look
 * for them: `$PRUNELAB_DATA` when set, else `$XDG_DATA_HOME/prunelab`, else
 * `~/.local/share/prunelab` (the XDG Base Directory default), so a fetch
 * works without any setting and a later run finds what it fetched.
 */
export function dataDir(): string {
  const env = process.env['PRUNELAB_DATA'];
  if (env) return env;
  const xdg = process.env['XDG_DATA_HOME'];
  return join(xdg ? xdg : join(homedir(), '.local', 'share'), 'prunelab');
}

/**
 * Where to look for a dataset's files: the config's `dir` alone when given,
 * else `<data folder>/<sub>`, the data folder itself, then the dataset's
 * system folders (e.g. where a Debian package installs it).
 */
export function candidateDirs(dir: string | undefined, sub: string, system: readonly string[]): string[] {
  if (dir !== undefined) return [dir];
  const base = dataDir();
  return [join(base, sub), base, ...system];
}

export interface DirSearch {
  /** The first folder that holds every required file (each under one of its accepted names). */
  readonly found?: { readonly dir: string; readonly files: readonly string[] };
  /** Folders searched, with the files each lacks. */
  readonly tried: ReadonlyArray<{ readonly dir: string; readonly missing: readonly string[] }>;
}

/** `required[i]` lists accepted names for file i, preferred first (e.g. `x.gz`, then `x`). */
export function findDir(dirs: readonly string[], required: ReadonlyArray<readonly string[]>): DirSearch {
  const tried: Array<{ dir: string; missing: string[] }> = [];
  for (const dir of dirs) {
    const files: string[] = [];
    const missing: string[] = [];
    for (const names of required) {
      const hit = names.map((n) => join(dir, n)).find(fileExists);
      if (hit) files.push(hit);
      else missing.push(names[0]!);
    }
    if (missing.length === 0) return { found: { dir, files }, tried };
    tried.push({ dir, missing });
  }
  return { tried };
}

export function describeSearch(tried: DirSearch['tried']): string {
  return tried.map((t) => `${t.dir} (missing ${t.missing.join(', ')})`).join('; ');
}
