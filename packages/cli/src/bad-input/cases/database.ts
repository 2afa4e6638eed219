import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '@prunelab/store';
import { BASE, put, run, type BadInput } from '../case.js';

const TEXT = 'this is not a database\n'.repeat(50);

/** Another program's SQLite database: tables, no prunelab schema version. */
function foreign(dir: string, name: string): void {
  mkdirSync(join(dir, name, '..'), { recursive: true });
  const db = new Database(join(dir, name));
  db.exec('CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES (1)');
  db.close();
}

/** A prunelab database whose schema version is from the future. */
function future(dir: string, name: string): void {
  const db = openDatabase(join(dir, name));
  db.pragma('user_version = 999');
  db.close();
}

/** A prunelab database (as a shard merged from elsewhere) naming a sweep `name`. */
function withSweep(dir: string, file: string, name: string): void {
  const db = openDatabase(join(dir, file));
  db.prepare(`INSERT INTO sweeps (name, file, yaml, created_at, updated_at) VALUES (?, NULL, '', '', '')`).run(name);
  db.close();
}

const readers: Array<[string, string[]]> = [
  ['results list', ['results', 'list']],
  ['compare', ['compare', '--sweep', 'x']],
  ['report', ['report', '--sweep', 'x']],
  ['export', ['export', '--sweep', 'x']],
  ['plot', ['plot', '--sweep', 'x', '--out', 'p.svg']],
];

/** Files given as results databases (--db, --results, merge) that are not prunelab databases. */
export const databaseCases: BadInput[] = [
  ...readers.map(([name, args]): BadInput => ({
    name: `${name} --db a text file`,
    setup: (d) => put(d, 'notes.txt', TEXT),
    args: [...args, '--db', 'notes.txt'],
    message: /error\[E_DATABASE_INVALID\]: notes\.txt: this is not an SQLite database\. Name a prunelab results database/,
  })),
  {
    name: 'results list --db a missing file',
    args: ['results', 'list', '--db', 'none.sqlite'],
    message: /error\[E_FILE_NOT_FOUND\]: none\.sqlite: no results database\. Run a sweep first/,
  },
  {
    name: 'results list --db a folder',
    setup: (d) => mkdirSync(join(d, 'db.sqlite')),
    args: ['results', 'list', '--db', 'db.sqlite'],
    message: /db\.sqlite: this is a folder, not a results database/,
  },
  {
    name: 'results list --db an empty file (would be migrated)',
    setup: (d) => put(d, 'empty.sqlite', ''),
    args: ['results', 'list', '--db', 'empty.sqlite'],
    message: /empty\.sqlite: this database is empty: no prunelab tables/,
  },
  {
    name: "results list --db another program's SQLite database (would get our tables)",
    setup: (d) => foreign(d, 'other.sqlite'),
    args: ['results', 'list', '--db', 'other.sqlite'],
    message: /other\.sqlite: this SQLite database was not written by prunelab/,
  },
  {
    name: 'compare --db /dev/zero',
    args: ['compare', '--sweep', 'x', '--db', '/dev/zero'],
    message: /\/dev\/zero: this is not a regular file, not a results database/,
  },
  {
    name: 'results list --db from a newer prunelab',
    setup: (d) => future(d, 'new.sqlite'),
    args: ['results', 'list', '--db', 'new.sqlite'],
    message: /new\.sqlite: database schema version 999 is newer than this prunelab .*\. Upgrade prunelab/,
  },
  {
    name: 'run into a results folder whose database is a text file',
    setup: (d) => (put(d, 'sweep.yaml', BASE), put(d, 'results/prunelab.sqlite', TEXT)),
    args: run(),
    message: /results\/prunelab\.sqlite: this is not an SQLite database/,
  },
  {
    name: "run into a results folder holding another program's database",
    setup: (d) => (put(d, 'sweep.yaml', BASE), foreign(d, 'results/prunelab.sqlite')),
    args: run(),
    message: /results\/prunelab\.sqlite: this SQLite database was not written by prunelab/,
  },
  {
    name: 'run --dry-run with a results database that is a text file',
    setup: (d) => (put(d, 'sweep.yaml', BASE), put(d, 'results/prunelab.sqlite', TEXT)),
    args: run('--dry-run'),
    message: /results\/prunelab\.sqlite: this is not an SQLite database/,
  },
  {
    name: 'merge a text file (must not create --into)',
    setup: (d) => put(d, 'shard.sqlite', TEXT),
    args: ['merge', 'shard.sqlite', '--into', 'out/all.sqlite'],
    message: /shard\.sqlite: this is not an SQLite database/,
  },
  {
    name: 'merge a missing source',
    args: ['merge', 'none.sqlite', '--into', 'all.sqlite'],
    message: /E_FILE_NOT_FOUND\]: none\.sqlite: database to merge not found/,
  },
  {
    name: 'merge a folder',
    setup: (d) => mkdirSync(join(d, 'shard.sqlite')),
    args: ['merge', 'shard.sqlite', '--into', 'all.sqlite'],
    message: /shard\.sqlite: this is a folder or device, not a results database/,
  },
  {
    name: "merge another program's database",
    setup: (d) => foreign(d, 'shard.sqlite'),
    args: ['merge', 'shard.sqlite', '--into', 'all.sqlite'],
    message: /shard\.sqlite: this SQLite database was not written by prunelab/,
  },
  {
    name: 'merge a good shard and a bad one (nothing is merged)',
    setup: (d) => (withSweep(d, 'good.sqlite', 'ok'), put(d, 'bad.sqlite', TEXT)),
    args: ['merge', 'good.sqlite', 'bad.sqlite', '--into', 'all.sqlite'],
    message: /bad\.sqlite: this is not an SQLite database/,
  },
  {
    name: 'merge a shard naming a sweep ../../escaped',
    setup: (d) => withSweep(d, 'shard.sqlite', '../../escaped'),
    args: ['merge', 'shard.sqlite', '--into', 'all.sqlite'],
    message: /shard\.sqlite: sweeps\.name: invalid sweep name: .*\(got "\.\.\/\.\.\/escaped"\)/,
  },
  {
    name: 'merge a database into itself',
    setup: (d) => withSweep(d, 'all.sqlite', 'ok'),
    args: ['merge', 'all.sqlite', '--into', 'all.sqlite'],
    message: /all\.sqlite: --into: a database cannot be merged into itself/,
  },
  {
    name: 'merge --into a text file',
    setup: (d) => (withSweep(d, 'shard.sqlite', 'ok'), put(d, 'all.sqlite', TEXT)),
    args: ['merge', 'shard.sqlite', '--into', 'all.sqlite'],
    message: /all\.sqlite: this is not an SQLite database/,
  },
  {
    name: 'merge --into a folder',
    setup: (d) => (withSweep(d, 'shard.sqlite', 'ok'), mkdirSync(join(d, 'all.sqlite'))),
    args: ['merge', 'shard.sqlite', '--into', 'all.sqlite'],
    message: /all\.sqlite: this is a folder, not a results database/,
  },
  {
    name: 'report without --out for a sweep named ../../escaped (would write outside the results folder)',
    setup: (d) => withSweep(d, 'results/prunelab.sqlite', '../../escaped'),
    args: ['report', '--sweep', '../../escaped'],
    message: /--sweep: invalid sweep name: .*\(got "\.\.\/\.\.\/escaped"\)\. Pass --out FILE\.html/,
  },
  {
    name: "export --out under /proc (Node's mkdir -p spins there)",
    setup: (d) => withSweep(d, 'results/prunelab.sqlite', 'ok'),
    args: ['export', '--sweep', 'ok', '--out', '/proc/nope/points.csv'],
    message: /cannot create the folder \/proc\/nope: \/proc\/nope cannot be created \(ENOENT\)/,
  },
  {
    name: 'compare a sweep the database does not have',
    setup: (d) => withSweep(d, 'results/prunelab.sqlite', 'ok'),
    args: ['compare', '--sweep', 'missing'],
    message: /missing/,
  },
];
