import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { PrunelabError } from '@prunelab/core';
import { MIGRATIONS } from './schema.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) a results database in WAL mode and applies any
 * missing migrations. WAL lets readers (compare, plot, an open sqlite3 shell)
 * run while a sweep writes; busy_timeout makes a second writer process wait
 * instead of failing with SQLITE_BUSY.
 *
 * The file is user input (--db, --results, merge's sources and --into): a
 * folder, a file that is not SQLite, or another program's SQLite database is
 * a user error naming the file, and is never written to.
 */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): Db {
  const readonly = options.readonly ?? false;
  if (readonly && !existsSync(file)) {
    throw new PrunelabError('E_FILE_NOT_FOUND', 'no results database', {
      file,
      fix: 'Run a sweep first (prunelab run experiments/quickstart.yaml), or pass --db FILE',
    });
  }
  const kind = existsSync(file) ? statSync(file) : undefined;
  if (kind && !kind.isFile()) {
    throw new PrunelabError('E_DATABASE_INVALID', `this is ${kind.isDirectory() ? 'a folder' : 'not a regular file'}, not a results database`, {
      file,
      fix: DB_FIX,
    });
  }
  if (kind) checkHeader(file, readonly);
  if (!readonly) ensureFolder(dirname(file));
  let db: Db;
  try {
    db = new Database(file, { readonly, fileMustExist: readonly });
  } catch (e) {
    throw new PrunelabError('E_STORE', `cannot open the results database: ${(e as Error).message}`, {
      file,
      fix: readonly ? 'Run a sweep first (prunelab run experiments/quickstart.yaml), or pass --db' : 'Check that the folder is writable',
    });
  }
  try {
    checkPrunelabDatabase(db, file);
  } catch (e) {
    db.close();
    throw e;
  }
  db.pragma('busy_timeout = 30000');
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  }
  return db;
}

const DB_FIX = 'Name a prunelab results database (the prunelab.sqlite that prunelab run writes in its results folder)';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Checks a database file from its 100-byte header, before SQLite opens it:
 * opening creates -wal and -shm files beside a WAL database, so a file that
 * is refused anyway should not be opened at all. The header says whether it
 * is SQLite and its user_version (offset 60), which is prunelab's schema
 * version. Exported for merge, which checks every source before it opens any.
 */
export function checkHeader(file: string, readonly: boolean): void {
  const header = Buffer.alloc(100);
  let n: number;
  const fd = openSync(file, 'r');
  try {
    n = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (n === 0) {
    // An empty file is a fresh database to a writer, and nothing to read for a reader.
    if (readonly) throw new PrunelabError('E_DATABASE_INVALID', 'this database is empty: no prunelab tables', { file, fix: DB_FIX });
    return;
  }
  if (n < 100 || !header.subarray(0, 16).equals(SQLITE_MAGIC))
    throw new PrunelabError('E_DATABASE_INVALID', 'this is not an SQLite database', { file, fix: DB_FIX });
  const version = header.readUInt32BE(60);
  if (version > MIGRATIONS.length) {
    throw new PrunelabError('E_DATABASE_INVALID', `database schema version ${version} is newer than this prunelab (${MIGRATIONS.length})`, {
      file,
      fix: 'Upgrade prunelab',
    });
  }
}

/**
 * A file SQLite cannot read, or a SQLite database some other program made
 * (tables, but no prunelab schema version), is refused: migrating it would
 * write prunelab's tables into it. An empty database (no tables) is a fresh one.
 */
function checkPrunelabDatabase(db: Db, file: string): void {
  let version: number;
  let tables: number;
  try {
    version = db.pragma('user_version', { simple: true }) as number;
    tables = (db.prepare(`SELECT count(*) AS n FROM sqlite_schema`).get() as { n: number }).n;
  } catch (e) {
    const notDb = /not a database|file is encrypted|malformed/i.test((e as Error).message);
    throw new PrunelabError('E_DATABASE_INVALID', notDb ? 'this is not an SQLite database' : `cannot read the database: ${(e as Error).message}`, {
      file,
      fix: DB_FIX,
    });
  }
  if (version === 0 && tables > 0) {
    throw new PrunelabError('E_DATABASE_INVALID', 'this SQLite database was not written by prunelab (it has tables but no prunelab schema version)', {
      file,
      fix: DB_FIX,
    });
  }
  if (version > MIGRATIONS.length) {
    throw new PrunelabError('E_DATABASE_INVALID', `database schema version ${version} is newer than this prunelab (${MIGRATIONS.length})`, {
      file,
      fix: 'Upgrade prunelab',
    });
  }
  if (db.readonly && version === 0) {
    throw new PrunelabError('E_DATABASE_INVALID', 'this database is empty: no prunelab tables', { file, fix: DB_FIX });
  }
}

/**
 * mkdir -p that cannot hang: Node's recursive mkdirSync loops for ever under
 * /proc (mkdir there fails with ENOENT, which it retries). Each missing level
 * is made on its own, and a file in the way is named.
 */
export function ensureFolder(dir: string): void {
  const missing: string[] = [];
  let cur = resolve(dir);
  for (;;) {
    let st;
    try {
      st = statSync(cur);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw folderError(dir, `${cur} cannot be read (${code})`);
      missing.unshift(cur);
      const parent = dirname(cur);
      if (parent === cur) break;
      cur = parent;
      continue;
    }
    if (!st.isDirectory()) throw folderError(dir, `${cur} is a file, not a folder`);
    break;
  }
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EEXIST' && statSync(m).isDirectory()) continue;
      throw folderError(dir, `${m} cannot be created (${code})`);
    }
  }
}

function folderError(dir: string, problem: string): PrunelabError {
  return new PrunelabError('E_CONFIG_INVALID', `cannot create the folder ${dir}: ${problem}`, {
    fix: 'Choose a results folder (--results, PRUNELAB_RESULTS, merge --into) that can be created',
  });
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
