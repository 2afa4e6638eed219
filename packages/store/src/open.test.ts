import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { isPrunelabError, type PrunelabError } from '@prunelab/core';
import { ensureFolder, openDatabase } from './open.js';
import { mergeDatabases } from './merge.js';
import { openResultsDatabase } from './queries.js';
import { reportFile, resultPaths } from './paths.js';

const root = mkdtempSync(join(tmpdir(), 'prunelab-open-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = join(root, `t${n++}`);
  mkdirSync(d);
  return d;
};

function caught(f: () => unknown): PrunelabError {
  try {
    f();
  } catch (e) {
    if (isPrunelabError(e)) return e;
    throw e;
  }
  throw new Error('no error');
}

/** Another program's SQLite database: tables, but no prunelab schema version. */
function foreignDb(file: string): void {
  const db = new Database(file);
  db.exec('CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES (1)');
  db.close();
}

describe('opening databases that are not prunelab results databases', () => {
  it("a text file, a folder, another program's database and an empty file are user errors, and stay as they were", () => {
    const d = fresh();
    writeFileSync(join(d, 'text.sqlite'), 'hello, not a database\n'.repeat(100));
    mkdirSync(join(d, 'folder.sqlite'));
    foreignDb(join(d, 'other.sqlite'));
    writeFileSync(join(d, 'empty.sqlite'), '');
    const before = Object.fromEntries(
      readdirSync(d)
        .filter((f) => f !== 'folder.sqlite')
        .map((f) => [f, readFileSync(join(d, f))]),
    );
    const cases: Array<[string, RegExp]> = [
      ['text.sqlite', /not an SQLite database/],
      ['folder.sqlite', /this is a folder, not a results database/],
      ['other.sqlite', /not written by prunelab/],
      ['empty.sqlite', /empty: no prunelab tables/],
    ];
    for (const [file, message] of cases) {
      const e = caught(() => openResultsDatabase(join(d, file)));
      expect(e.message).toMatch(message);
      expect(e.isUserError).toBe(true);
      expect(e.details.fix).toBeTruthy();
    }
    // Writable opens (run --results, merge --into) refuse them too, before any write.
    for (const file of ['text.sqlite', 'other.sqlite', 'folder.sqlite']) expect(caught(() => openDatabase(join(d, file))).code).toBe('E_DATABASE_INVALID');
    expect(readdirSync(d).sort()).toEqual(['empty.sqlite', 'folder.sqlite', 'other.sqlite', 'text.sqlite']);
    for (const [f, bytes] of Object.entries(before)) expect(readFileSync(join(d, f)).equals(bytes)).toBe(true);
  });

  it('a missing database for reading is E_FILE_NOT_FOUND (exit 2), not a store failure', () => {
    const e = caught(() => openDatabase(join(fresh(), 'none.sqlite'), { readonly: true }));
    expect(e.code).toBe('E_FILE_NOT_FOUND');
  });
});

describe('ensureFolder', () => {
  it('makes every missing level', () => {
    const d = fresh();
    ensureFolder(join(d, 'a', 'b', 'c'));
    expect(existsSync(join(d, 'a', 'b', 'c'))).toBe(true);
  });

  it('names a file in the way', () => {
    const d = fresh();
    writeFileSync(join(d, 'results'), 'x');
    expect(caught(() => ensureFolder(join(d, 'results', 'cache'))).message).toMatch(/results is a file, not a folder/);
  });

  it("fails under /proc instead of looping for ever (Node's recursive mkdir spins there)", () => {
    expect(caught(() => ensureFolder('/proc/nope/res')).message).toMatch(/\/proc\/nope cannot be created \(ENOENT\)/);
  });
});

describe('merge', () => {
  it('a source that is not SQLite creates no target', () => {
    const d = fresh();
    writeFileSync(join(d, 'shard.sqlite'), 'not sqlite');
    const e = caught(() => mergeDatabases(join(d, 'out', 'all.sqlite'), [join(d, 'shard.sqlite')]));
    expect(e.message).toMatch(/shard\.sqlite: this is not an SQLite database/);
    expect(existsSync(join(d, 'out'))).toBe(false);
  });

  it('refuses a shard whose sweep name would be a path, and a database merged into itself', () => {
    const d = fresh();
    const shard = join(d, 'shard.sqlite');
    const db = openDatabase(shard);
    db.prepare(`INSERT INTO sweeps (name, file, yaml, created_at, updated_at) VALUES (?, NULL, '', '', '')`).run('../../escaped');
    db.close();
    const e = caught(() => mergeDatabases(join(d, 'all.sqlite'), [shard]));
    expect(e.message).toMatch(/invalid sweep name.*\(got "\.\.\/\.\.\/escaped"\)/);
    expect(existsSync(join(d, 'all.sqlite'))).toBe(false);
    const ok = join(d, 'ok.sqlite');
    openDatabase(ok).close();
    expect(caught(() => mergeDatabases(ok, [ok])).message).toMatch(/cannot be merged into itself/);
  });
});

describe('reportFile', () => {
  it('keeps the default report inside the results folder', () => {
    const paths = resultPaths(join(root, 'res'));
    expect(reportFile(paths, 'quickstart')).toBe(join(root, 'res', 'quickstart.html'));
    for (const bad of ['../../escaped', '/etc/x', 'a/b', '..', '-rf']) expect(caught(() => reportFile(paths, bad)).details.fix).toMatch(/--out/);
  });
});
