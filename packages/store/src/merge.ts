import { existsSync, realpathSync, statSync } from 'node:fs';
import { PrunelabError } from '@prunelab/core';
import { checkHeader, openDatabase, type Db } from './open.js';
import { checkSweepName } from './paths.js';

export interface MergeReport {
  readonly sources: number;
  readonly sweeps: number;
  readonly runsAdded: number;
  readonly runsReplaced: number;
  readonly pointsAdded: number;
  readonly denseModels: number;
  /** Runs finished in both databases with different points: kept as they were in the target. */
  readonly conflicts: ReadonlyArray<{ runId: string; source: string; reason: string }>;
}

const RANK: Record<string, number> = { done: 4, failed: 3, interrupted: 2, running: 1, pending: 0 };

/**
 * Merges shard databases into one. Idempotent: merging the same file twice
 * changes nothing. A run takes the most finished version (done over failed
 * over interrupted...), with its points; two `done` versions that disagree
 * are a conflict, reported and left as the target had it.
 */
export function mergeDatabases(target: string, sources: readonly string[]): MergeReport {
  // Every source is checked before the target is opened: a bad source must not leave a new, empty target behind.
  // Headers first (no file is opened), so a bad source is found before SQLite touches a good one.
  for (const s of sources) checkExists(s, target);
  for (const s of sources) checkSource(s);
  const db = openDatabase(target);
  let sweeps = 0;
  let runsAdded = 0;
  let runsReplaced = 0;
  let pointsAdded = 0;
  let denseModels = 0;
  const conflicts: Array<{ runId: string; source: string; reason: string }> = [];
  try {
    for (const source of sources) {
      // Bring the source up to our schema first, so its columns match.
      openDatabase(source).close();
      db.prepare(`ATTACH DATABASE ? AS src`).run(source);
      try {
        db.transaction(() => {
          sweeps += db
            .prepare(`INSERT INTO sweeps SELECT * FROM src.sweeps WHERE true ON CONFLICT(name) DO UPDATE SET updated_at = max(updated_at, excluded.updated_at)`)
            .run().changes;
          const srcRuns = db.prepare(`SELECT id, status FROM src.runs`).all() as Array<{ id: string; status: string }>;
          for (const r of srcRuns) {
            const mine = db.prepare(`SELECT status FROM main.runs WHERE id = ?`).get(r.id) as { status: string } | undefined;
            if (!mine) {
              copyRun(db, r.id);
              runsAdded++;
              pointsAdded += copyPoints(db, r.id);
            } else if ((RANK[r.status] ?? 0) > (RANK[mine.status] ?? 0)) {
              db.prepare(`DELETE FROM main.points WHERE run_id = ?`).run(r.id);
              db.prepare(`DELETE FROM main.runs WHERE id = ?`).run(r.id);
              copyRun(db, r.id);
              runsReplaced++;
              pointsAdded += copyPoints(db, r.id);
            } else if (r.status === 'done' && mine.status === 'done' && !samePoints(db, r.id)) {
              conflicts.push({ runId: r.id, source, reason: 'finished in both databases with different points' });
            }
          }
          db.prepare(`INSERT INTO main.sweep_runs SELECT * FROM src.sweep_runs WHERE true ON CONFLICT DO NOTHING`).run();
          denseModels += db.prepare(`INSERT INTO main.dense_models SELECT * FROM src.dense_models WHERE true ON CONFLICT(key) DO NOTHING`).run().changes;
        })();
      } finally {
        db.prepare(`DETACH DATABASE src`).run();
      }
    }
  } finally {
    db.close();
  }
  return { sources: sources.length, sweeps, runsAdded, runsReplaced, pointsAdded, denseModels, conflicts };
}

/**
 * A source must be a prunelab database other than the target, and every sweep
 * name in it must be valid: names become file names (the default report is
 * <results>/<name>.html), so a shard database naming a sweep ../../x could
 * otherwise write outside the results folder.
 */
function checkExists(source: string, target: string): void {
  if (!existsSync(source)) throw new PrunelabError('E_FILE_NOT_FOUND', 'database to merge not found', { file: source, fix: 'Check the path (shards are <results>/shards/*/prunelab.sqlite)' });
  if (existsSync(target) && realpathSync(source) === realpathSync(target)) {
    throw new PrunelabError('E_CONFIG_INVALID', 'a database cannot be merged into itself', { file: source, path: '--into', fix: 'Name the shard databases and a different --into' });
  }
  if (!statSync(source).isFile()) throw new PrunelabError('E_DATABASE_INVALID', 'this is a folder or device, not a results database', { file: source, fix: 'Name the shard databases (prunelab.sqlite files)' });
  checkHeader(source, true);
}

function checkSource(source: string): void {
  const db = openDatabase(source, { readonly: true });
  try {
    const names = db.prepare(`SELECT name FROM sweeps UNION SELECT sweep FROM sweep_runs UNION SELECT sweep FROM runs`).pluck().all() as unknown[];
    for (const name of names) {
      checkSweepName(String(name), { file: source, path: 'sweeps.name', fix: 'This database was not written by prunelab run; merge only shard databases it wrote' });
    }
  } finally {
    db.close();
  }
}

function copyRun(db: Db, id: string): void {
  db.prepare(`INSERT INTO main.runs SELECT * FROM src.runs WHERE id = ?`).run(id);
}

function copyPoints(db: Db, id: string): number {
  return db.prepare(`INSERT INTO main.points SELECT * FROM src.points WHERE run_id = ? ON CONFLICT DO NOTHING`).run(id).changes;
}

function samePoints(db: Db, id: string): boolean {
  const q = (schema: string) =>
    JSON.stringify(db.prepare(`SELECT step, phase, sparsity, accuracy, loss FROM ${schema}.points WHERE run_id = ? ORDER BY step`).all(id));
  return q('main') === q('src');
}
