import { copyFileSync, existsSync, readdirSync, realpathSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { PrunelabError } from '@prunelab/core';
import { checkHeader, ensureFolder, openDatabase, type Db } from './open.js';
import { artifactPath, checkSweepName, denseModelFile, resultPaths, type ResultPaths } from './paths.js';
import { copyArtifactFile } from './artifact-files.js';

export interface MergeReport {
  readonly sources: number;
  readonly sweeps: number;
  readonly runsAdded: number;
  readonly runsReplaced: number;
  readonly pointsAdded: number;
  readonly denseModels: number;
  /** Dense models whose file was found neither where their row says nor beside their database: the next run retrains them. */
  readonly denseFilesMissing: number;
  /** Artifact rows added (each with its file, copied into the target's artifacts/ unless already there). */
  readonly artifactsAdded: number;
  /** Artifacts whose file was missing or changed in the source: their rows are left out, and export says so. */
  readonly artifactFilesMissing: number;
  /** Runs finished in both databases with different points: kept as they were in the target. */
  readonly conflicts: ReadonlyArray<{ runId: string; source: string; reason: string }>;
}

const RANK: Record<string, number> = { done: 4, failed: 3, interrupted: 2, running: 1, pending: 0 };

/**
 * Merges shard databases into one. Idempotent: merging the same file twice
 * changes nothing. A run takes the most finished version (done over failed
 * over interrupted...), with its points; two `done` versions that disagree
 * are a conflict, reported and left as the target had it. Dense models are
 * copied into the target's results folder (the folder of `target`), with
 * their rewind snapshots, and their rows point there: the merged folder is
 * complete on its own, and a later `prunelab run` into it reuses them.
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
  let denseFilesMissing = 0;
  let artifactsAdded = 0;
  let artifactFilesMissing = 0;
  const targetPaths = resultPaths(dirname(target));
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
          // A run's kept models travel with its points: rows and files, after the points their rows refer to.
          const artifacts = (id: string) => {
            const a = copyArtifacts(db, id, source, target);
            artifactsAdded += a.added;
            artifactFilesMissing += a.missing;
          };
          for (const r of srcRuns) {
            const mine = db.prepare(`SELECT status FROM main.runs WHERE id = ?`).get(r.id) as { status: string } | undefined;
            if (!mine) {
              copyRun(db, r.id);
              runsAdded++;
              pointsAdded += copyPoints(db, r.id);
              artifacts(r.id);
            } else if ((RANK[r.status] ?? 0) > (RANK[mine.status] ?? 0)) {
              // Updated in place: sweep_runs (and every other table naming the run) still points at it, so it is never deleted.
              db.prepare(`DELETE FROM main.artifacts WHERE run_id = ?`).run(r.id);
              db.prepare(`DELETE FROM main.points WHERE run_id = ?`).run(r.id);
              replaceRun(db, r.id);
              runsReplaced++;
              pointsAdded += copyPoints(db, r.id);
              artifacts(r.id);
            } else if (r.status === 'done' && mine.status === 'done') {
              if (!samePoints(db, r.id)) conflicts.push({ runId: r.id, source, reason: 'finished in both databases with different points' });
              // The same curve: the target gains any kept model it lacks (a copy that ran with artifacts: none, say).
              else artifacts(r.id);
            }
          }
          db.prepare(`INSERT INTO main.sweep_runs SELECT * FROM src.sweep_runs WHERE true ON CONFLICT DO NOTHING`).run();
          const dense = copyDenseModels(db, source, targetPaths);
          denseModels += dense.added;
          denseFilesMissing += dense.missing;
        })();
      } finally {
        db.prepare(`DETACH DATABASE src`).run();
      }
    }
  } finally {
    db.close();
  }
  return {
    sources: sources.length,
    sweeps,
    runsAdded,
    runsReplaced,
    pointsAdded,
    denseModels,
    denseFilesMissing,
    artifactsAdded,
    artifactFilesMissing,
    conflicts,
  };
}

/** What a dense model key may be: contentHash's hex digits, or any plain name (never a path). */
const DENSE_KEY_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * A source must be a prunelab database other than the target, and every sweep
 * name in it must be valid: names become file names (the default report is
 * <results>/<name>.html), so a shard database naming a sweep ../../x could
 * otherwise write outside the results folder.
 */
function checkExists(source: string, target: string): void {
  if (!existsSync(source))
    throw new PrunelabError('E_FILE_NOT_FOUND', 'database to merge not found', {
      file: source,
      fix: 'Check the path (shards are <results>/shards/*/prunelab.sqlite)',
    });
  if (existsSync(target) && realpathSync(source) === realpathSync(target)) {
    throw new PrunelabError('E_CONFIG_INVALID', 'a database cannot be merged into itself', {
      file: source,
      path: '--into',
      fix: 'Name the shard databases and a different --into',
    });
  }
  if (!statSync(source).isFile())
    throw new PrunelabError('E_DATABASE_INVALID', 'this is a folder or device, not a results database', {
      file: source,
      fix: 'Name the shard databases (prunelab.sqlite files)',
    });
  checkHeader(source, true);
}

function checkSource(source: string): void {
  const db = openDatabase(source, { readonly: true });
  try {
    const names = db.prepare(`SELECT name FROM sweeps UNION SELECT sweep FROM sweep_runs UNION SELECT sweep FROM runs`).pluck().all() as unknown[];
    for (const name of names) {
      checkSweepName(String(name), {
        file: source,
        path: 'sweeps.name',
        fix: 'This database was not written by prunelab run; merge only shard databases it wrote',
      });
    }
    // Artifact paths become file names in the target's artifacts/: each must be the one its sha256 names.
    const hasArtifacts = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'artifacts'`).get() !== undefined;
    for (const row of (hasArtifacts ? db.prepare(`SELECT path, sha256 FROM artifacts`).all() : []) as Array<{ path: unknown; sha256: unknown }>) {
      if (typeof row.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(row.sha256) || row.path !== artifactPath(row.sha256)) {
        throw new PrunelabError('E_DATABASE_INVALID', 'invalid artifact path: prunelab names each file by its sha256 under artifacts/', {
          file: source,
          path: 'artifacts.path',
          value: String(row.path),
          fix: 'This database was not written by prunelab run; merge only shard databases it wrote',
        });
      }
    }
    // Keys become file names in the target's cache (<key>.bin), so one such as ../../x could write outside it.
    for (const key of db.prepare(`SELECT key FROM dense_models`).pluck().all() as unknown[]) {
      if (typeof key !== 'string' || !DENSE_KEY_PATTERN.test(key)) {
        throw new PrunelabError('E_DATABASE_INVALID', 'invalid dense model key: prunelab writes hexadecimal content hashes', {
          file: source,
          path: 'dense_models.key',
          value: String(key),
          fix: 'This database was not written by prunelab run; merge only shard databases it wrote',
        });
      }
    }
  } finally {
    db.close();
  }
}

function copyRun(db: Db, id: string): void {
  db.prepare(`INSERT INTO main.runs SELECT * FROM src.runs WHERE id = ?`).run(id);
}

/** Overwrites the target's row of run `id` with the source's, every column but the id. */
function replaceRun(db: Db, id: string): void {
  const columns = (db.prepare(`SELECT name FROM pragma_table_info('runs', 'main') WHERE name <> 'id'`).pluck().all() as string[])
    .map((c) => `"${c}"`)
    .join(', ');
  db.prepare(`UPDATE main.runs SET (${columns}) = (SELECT ${columns} FROM src.runs WHERE id = @id) WHERE id = @id`).run({ id });
}

/**
 * Adds the source's dense models the target lacks, and copies each model's
 * files (the model and its rewind snapshots, <key>.bin and <key>.step-N.bin)
 * into the target's cache, unless already there. A model's files are looked
 * for where its row says, then beside the source database (a shard folder
 * moved since it ran). The row always names the target's copy: where a model
 * whose files are gone would be retrained.
 */
function copyDenseModels(db: Db, source: string, paths: ResultPaths): { added: number; missing: number } {
  const rows = db.prepare(`SELECT key, file FROM src.dense_models`).all() as Array<{ key: string; file: string }>;
  let added = 0;
  let missing = 0;
  for (const { key, file } of rows) {
    const dest = denseModelFile(paths, key);
    const from = [dirname(file), resultPaths(dirname(source)).denseCache].find((dir) => existsSync(join(dir, `${key}.bin`)));
    if (from !== undefined) copyModelFiles(from, key, dirname(dest));
    else if (!existsSync(dest)) missing++;
    added += db.prepare(`INSERT INTO main.dense_models SELECT * FROM src.dense_models WHERE key = @key ON CONFLICT(key) DO NOTHING`).run({ key }).changes;
    db.prepare(`UPDATE main.dense_models SET file = @dest WHERE key = @key`).run({ key, dest });
  }
  return { added, missing };
}

/**
 * Copies the <key>.bin and <key>.step-*.bin of `from` that `to` lacks (a key
 * names one dense training, so the copy already there is kept), each through
 * a temporary name, so that a concurrent merge or run never reads half a file.
 */
function copyModelFiles(from: string, key: string, to: string): void {
  if (resolve(from) === resolve(to)) return;
  ensureFolder(to);
  for (const name of readdirSync(from)) {
    if (name !== `${key}.bin` && !(name.startsWith(`${key}.step-`) && name.endsWith('.bin'))) continue;
    const dest = join(to, basename(name));
    if (existsSync(dest)) continue;
    const partial = `${dest}.${process.pid}.partial`;
    copyFileSync(join(from, name), partial);
    renameSync(partial, dest);
  }
}

/**
 * Adds the source's artifact rows of run `id` the target lacks, each once its
 * file is in the target's artifacts/ (copied, checked against its sha256). A
 * row whose file is missing or changed in the source is left out and counted.
 */
function copyArtifacts(db: Db, id: string, source: string, target: string): { added: number; missing: number } {
  const rows = db.prepare(`SELECT step, path, bytes, sha256 FROM src.artifacts WHERE run_id = ? ORDER BY step`).all(id) as Array<{
    step: number;
    path: string;
    bytes: number;
    sha256: string;
  }>;
  const insert = db.prepare(`INSERT INTO main.artifacts SELECT * FROM src.artifacts WHERE run_id = ? AND step = ? ON CONFLICT DO NOTHING`);
  let added = 0;
  let missing = 0;
  for (const row of rows) {
    if (!copyArtifactFile(source, target, row)) missing++;
    else added += insert.run(id, row.step).changes;
  }
  return { added, missing };
}

function copyPoints(db: Db, id: string): number {
  return db.prepare(`INSERT INTO main.points SELECT * FROM src.points WHERE run_id = ? ON CONFLICT DO NOTHING`).run(id).changes;
}

function samePoints(db: Db, id: string): boolean {
  const q = (schema: string) =>
    JSON.stringify(db.prepare(`SELECT step, phase, sparsity, accuracy, loss FROM ${schema}.points WHERE run_id = ? ORDER BY step`).all(id));
  return q('main') === q('src');
}
