import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * One malformed input, tried as a careless or hostile user would: the files
 * it needs, the command line, and what the one-line error must say. The
 * corpus test runs it through the real CLI in a fresh folder and checks, for
 * every case, exit status 2, no stack trace, nothing created or changed, and
 * a time and memory limit (see corpus.test.ts).
 */
export interface BadInput {
  readonly name: string;
  /** Creates what the case needs inside `dir`, the child's working directory. */
  readonly setup?: (dir: string) => void;
  /** Arguments after `prunelab`; relative paths are relative to `dir`. */
  readonly args: readonly string[];
  /**
   * Must match the stderr. Where the bad input has a position (a sweep file's
   * line and column, a data file's path), the pattern includes it.
   */
  readonly message: RegExp;
}

/** Writes `text` to `dir/name`, making folders on the way. */
export function put(dir: string, name: string, text: string | Uint8Array): void {
  mkdirSync(dirname(join(dir, name)), { recursive: true });
  writeFileSync(join(dir, name), text);
}

export function link(dir: string, name: string, target: string): void {
  mkdirSync(dirname(join(dir, name)), { recursive: true });
  symlinkSync(target, join(dir, name));
}

/**
 * A valid sweep (checked by the corpus' control case): synthetic blobs and a
 * 4-unit MLP, so nothing in it needs a download. Line numbers matter: cases
 * replace one line and expect the error there.
 */
export const BASE = `name: bad-input
dataset: { name: synthetic, kind: blobs, dims: 4, classes: 3, trainSize: 60, valSize: 0, testSize: 30 }
model: { name: mlp, hidden: [4] }
scorer: magnitude
train: { epochs: 1, batchSize: 30 }
finetune: { epochs: 1, batchSize: 30 }
prune: { sparsities: [0.5, 0.9] }
`;

/** BASE with `from` (which must occur) replaced by `to`, written as sweep.yaml: the case's setup. */
export function sweep(from: string, to: string, file = 'sweep.yaml'): (dir: string) => void {
  if (!BASE.includes(from)) throw new Error(`BASE has no ${JSON.stringify(from)}`);
  return (dir) => put(dir, file, BASE.replace(from, to));
}

/** A sweep file with exactly this text. */
export function sweepText(text: string, file = 'sweep.yaml'): (dir: string) => void {
  return (dir) => put(dir, file, text);
}

/** `prunelab run sweep.yaml` plus extra arguments: the command most cases use (it must write nothing). */
export const run = (...extra: string[]): string[] => ['run', 'sweep.yaml', ...extra];

/** file:line:col of sweep.yaml, as the error's first words. */
export const at = (line: number, col?: number): string => `sweep\\.yaml:${line}:${col ?? '\\d+'}: `;
