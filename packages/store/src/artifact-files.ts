import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PrunelabError, readRegularFile } from '@prunelab/core';
import { ensureFolder } from './open.js';
import { artifactFile, artifactPath } from './paths.js';

/** An artifact file as its row in `artifacts` records it. */
export interface StoredArtifact {
  /** Relative to the results folder (the database's folder): artifacts/<aa>/<sha256>.bin. */
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

const sha256Of = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The results folder of a database file: where its artifacts/ and cache/ live. */
export function resultsRoot(database: string): string {
  return dirname(resolve(database));
}

/**
 * Writes `data` under `root`, named by its sha256, and says where. The same
 * bytes are kept once: a file already there with the right content is left
 * as it is (two runs that end in the same weights, a rerun of a
 * deterministic run, a second merge), one with other content is replaced.
 * The file appears whole or not at all (written to a temporary name, then
 * renamed), so a crash never leaves half an artifact under its final name.
 */
export function writeArtifactFile(root: string, data: Uint8Array): StoredArtifact {
  const sha256 = sha256Of(data);
  const path = artifactPath(sha256);
  const file = join(root, path);
  if (!(existsSync(file) && sha256Of(readFileSync(file)) === sha256)) {
    ensureFolder(dirname(file));
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  }
  return { path, bytes: data.byteLength, sha256 };
}

/**
 * The bytes of an artifact of `database`, checked against its row: a missing
 * file, or one whose sha256 differs (changed, truncated, or another file put
 * in its place), is an error naming it, never a silently wrong model.
 */
export function readArtifactFile(database: string, row: StoredArtifact, what: string): Buffer {
  const file = artifactFile(resultsRoot(database), row.path, database);
  const read = readRegularFile(file, row.bytes);
  if (!read.ok && read.problem === 'not found') {
    throw new PrunelabError('E_FILE_NOT_FOUND', `the stored model of ${what} is missing: ${file}`, {
      fix: 'Keep the artifacts/ folder beside the database (prunelab merge copies it along with the rows)',
    });
  }
  if (!read.ok || read.bytes.length !== row.bytes || sha256Of(read.bytes) !== row.sha256) {
    throw new PrunelabError(
      'E_DATABASE_INVALID',
      `the stored model of ${what} was changed after it was written (${read.ok ? 'its sha256 no longer matches' : read.problem}): ${file}`,
      {
        fix: 'Run the sweep again into a fresh --results folder to write it again',
      },
    );
  }
  return read.bytes;
}

/**
 * Copies an artifact file of the database `source` into the results folder of
 * `target` (merge), unless a file with its content is there already. False
 * when the source's file is missing or no longer has the row's sha256.
 */
export function copyArtifactFile(source: string, target: string, row: StoredArtifact): boolean {
  const root = resultsRoot(target);
  const dest = artifactFile(root, row.path, target);
  if (existsSync(dest) && sha256Of(readFileSync(dest)) === row.sha256) return true;
  const read = readRegularFile(artifactFile(resultsRoot(source), row.path, source), row.bytes);
  if (!read.ok || sha256Of(read.bytes) !== row.sha256) return false;
  writeArtifactFile(root, read.bytes);
  return true;
}
