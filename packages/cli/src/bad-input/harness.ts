import { spawn } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The built CLI, run as a user runs it (the corpus test needs `npx tsc -b packages/cli` first). */
export const BIN = resolve(import.meta.dirname, '../../dist/bin.js');

/** A hang fails its case instead of the machine: the child is killed after this long... */
export const TIME_LIMIT_MS = 60_000;
/** ...and its JavaScript heap is capped (a YAML bomb or a 9 GB read used to grow without bound). */
export const HEAP_LIMIT_MB = 512;

export interface CliResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs `prunelab ...args` in `cwd`, with no results folder or data folder from the environment. */
export function runCli(args: readonly string[], cwd: string): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PRUNELAB_') && !k.startsWith('VITEST')) env[k] = v;
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_LIMIT_MB}`, BIN, ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: TIME_LIMIT_MS,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', fail);
    child.on('close', (status, signal) => done({ status, signal, stdout, stderr, ms: performance.now() - started }));
  });
}

/**
 * Every entry under `dir` with its type, size and modification time: two
 * snapshots differ when anything was created, removed or written. Symlinks
 * are not followed (some cases link to /dev/zero). A folder's own mtime is
 * left out: what changes it (an entry made or removed) shows up itself.
 */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      const key = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path);
      const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : st.isFile() ? 'file' : 'other';
      out.set(key, kind === 'dir' ? 'dir' : `${kind} ${st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(path, key);
    }
  };
  walk(dir, '');
  return out;
}

/**
 * What changed between two snapshots, as lines for a failure message. One
 * thing is not a change: the -wal and -shm files SQLite makes beside a WAL
 * database that a case set up and a command then opened to read (any SQLite
 * reader does that, the sqlite3 shell too; they hold no data of their own).
 * The database file itself must be unchanged.
 */
export function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const lines: string[] = [];
  const sidecar = (k: string) => /-(wal|shm)$/.test(k) && before.get(k.replace(/-(wal|shm)$/, ''))?.startsWith('file ') === true;
  for (const [k, v] of after)
    if (before.get(k) !== v && !(before.get(k) === undefined && sidecar(k))) lines.push(`${before.has(k) ? 'changed' : 'created'}: ${k}`);
  for (const k of before.keys()) if (!after.has(k)) lines.push(`removed: ${k}`);
  return lines;
}

/** At most `n` promises at a time: the machine has 2 cores, shared. */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: Array<() => void> = [];
  return async (task) => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await task();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}
