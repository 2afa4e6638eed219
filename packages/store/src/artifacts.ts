import type { Db } from './open.js';
import type { RunLabelColumns } from './queries.js';

/** A stored artifact with the point it belongs to (artifacts joined to points on run_id, step). */
export interface ArtifactRow {
  run_id: string;
  step: number;
  target_sparsity: number;
  path: string;
  bytes: number;
  sha256: string;
  phase: 'dense' | 'pruned' | 'finetuned';
  sparsity: number;
  accuracy: number;
}

/** Every artifact of a run, in step order. */
export function runArtifacts(db: Db, runId: string): ArtifactRow[] {
  return db
    .prepare(
      `SELECT a.run_id, a.step, a.target_sparsity, a.path, a.bytes, a.sha256, p.phase, p.sparsity, p.accuracy
       FROM artifacts a JOIN points p ON p.run_id = a.run_id AND p.step = a.step
       WHERE a.run_id = ? ORDER BY a.step`,
    )
    .all(runId) as ArtifactRow[];
}

/** What an export needs of a run: its status, labels and the config it ran with. */
export interface RunRow extends RunLabelColumns {
  id: string;
  status: string;
  seed: number;
  /** The full config, defaults filled in (JSON). */
  config_json: string;
}

/** The runs whose id starts with `prefix` (a whole id, or the first digits of one), at most `limit`. */
export function runsByIdPrefix(db: Db, prefix: string, limit = 10): RunRow[] {
  // A prefix holds only hex digits (checked by the caller or matching nothing); LIKE's wildcards are escaped anyway.
  const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
  return db
    .prepare(
      `SELECT id, status, seed, config_json, dataset, model, scorer, structure, scope, schedule FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?`,
    )
    .all(`${escaped}%`, limit) as RunRow[];
}

/** Bytes of distinct artifact files the database names (a file shared by several rows counts once). */
export function artifactStorage(db: Db): { files: number; bytes: number } {
  return db
    .prepare(`SELECT COUNT(*) AS files, COALESCE(SUM(bytes), 0) AS bytes FROM (SELECT sha256, MAX(bytes) AS bytes FROM artifacts GROUP BY sha256)`)
    .get() as {
    files: number;
    bytes: number;
  };
}
