import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { PrunelabError } from '@prunelab/core';
import { MIGRATIONS } from './schema.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) a results database in WAL mode and applies any
 * missing migrations. WAL lets readers (compare, plot, an open sqlite3 shell)
 * run while a sweep writes; busy_timeout makes a second writer process wait
 * instead of failing with SQLITE_BUSY.
 */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): Db {
  if (!options.readonly) mkdirSync(dirname(file), { recursive: true });
  let db: Db;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (e) {
    throw new PrunelabError('E_STORE', `cannot open the results database: ${(e as Error).message}`, {
      file,
      fix: options.readonly ? 'Run a sweep first (prunelab run experiments/quickstart.yaml), or pass --db' : 'Check that the folder is writable',
    });
  }
  db.pragma('busy_timeout = 30000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } else {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new PrunelabError('E_STORE', `database schema version ${version} is newer than this prunelab (${MIGRATIONS.length})`, { file, fix: 'Upgrade prunelab' });
    }
  }
  return db;
}

export function migrate(db: Db): void {
  // IMMEDIATE: two processes opening a fresh database must not both migrate.
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v]!);
    }
    if (version < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}
