import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { openDatabase } from '@prunelab/store';

/** The built CLI (npm test builds it first; by hand: npx tsc -b packages/cli). */
export const builtBin = resolve(import.meta.dirname, '../../dist/bin.js');

/** Runs the built CLI to the end: its exit status and output. */
export function prunelab(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [builtBin, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A small real sweep: blobs, a 16-unit MLP, magnitude against random, three seeds (3 dense models, 6 runs, 7 points each). */
export const SMALL_SWEEP = `name: scale
dataset: { name: synthetic, kind: blobs, dims: 8, classes: 3, trainSize: 600, valSize: 100, testSize: 300 }
model: { name: mlp, hidden: [16] }
train: { epochs: 2, batchSize: 50, lr: 0.01 }
finetune: { epochs: 1, batchSize: 50, lr: 0.001 }
prune: { sparsities: [0.5, 0.8, 0.9] }
grid:
  scorer: [magnitude, random]
seeds: [0, 1, 2]
`;

/** Polls a results database until it holds at least `n` points (a sweep is mid-flight). */
export async function waitForPoints(db: string, n: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      const d = openDatabase(db, { readonly: true });
      const count = (d.prepare(`SELECT COUNT(*) AS n FROM points`).get() as { n: number }).n;
      d.close();
      if (count >= n) return;
    } catch {
      // not created yet
    }
    if (Date.now() > deadline) throw new Error(`no ${n} points in ${db} after ${timeoutMs} ms`);
  }
}

/** Run ids and statuses, sorted by id. */
export function runStatuses(db: string): Array<{ id: string; status: string }> {
  const d = openDatabase(db, { readonly: true });
  try {
    return d.prepare(`SELECT id, status FROM runs ORDER BY id`).all() as Array<{ id: string; status: string }>;
  } finally {
    d.close();
  }
}
