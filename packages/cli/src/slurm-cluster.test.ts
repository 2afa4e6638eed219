import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@prunelab/store';
import { builtBin, prunelab, runStatuses, waitForPoints } from './test-utils/built-cli.js';
import { startSlurmCluster, type NoCluster, type SlurmCluster } from './test-utils/slurm-cluster.js';

// `prunelab slurm` against a real single-node Slurm cluster (munge and slurm-wlm from Debian, daemons started
// by the test): the script is submitted exactly as the README prints it, its merged database must equal an
// unsharded local run, and a shard killed with scancel is finished by submitting the script again.
// .ci/run installs the packages and sets PRUNELAB_REQUIRE_SLURM, so CI fails rather than skips without them.

// Three dense models (seeds) and two strategies: shard 1/2 gets two dense models (4 runs), shard 2/2 one (2 runs).
const SWEEP = `name: onslurm
dataset: { name: synthetic, kind: blobs, dims: 32, classes: 4, trainSize: 3000, valSize: 200, testSize: 500 }
model: { name: mlp, hidden: [128] }
train: { epochs: 2, batchSize: 50, lr: 0.01 }
finetune: { epochs: 3, batchSize: 50, lr: 0.001 }
prune: { sparsities: [0.5, 0.8, 0.9] }
grid:
  scorer: [magnitude, random]
seeds: [0, 1, 2]
`;

let cluster: SlurmCluster | NoCluster;
let dir: string;

beforeAll(async () => {
  cluster = await startSlurmCluster();
  dir = mkdtempSync(join(tmpdir(), 'prunelab-onslurm-'));
}, 120_000);
afterAll(async () => {
  if ('stop' in cluster) await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** What the comparison reads: every run's status and every point, in a fixed order. */
function snapshot(db: string) {
  const d = openDatabase(db, { readonly: true });
  try {
    return {
      runs: d.prepare(`SELECT id, status FROM runs ORDER BY id`).all(),
      points: d.prepare(`SELECT run_id, step, phase, target_sparsity, sparsity, accuracy, loss FROM points ORDER BY run_id, step`).all(),
      curves: d.prepare(`SELECT sweep, run_id, scorer, seed, phase, target_sparsity, accuracy FROM curve_points ORDER BY run_id, step`).all(),
    };
  } finally {
    d.close();
  }
}

/** Merge logs in submission order. */
function mergeLogs(results: string): string[] {
  const logs = join(results, 'slurm');
  return readdirSync(logs)
    .filter((f) => /^onslurm-merge-\d+\.out$/.test(f))
    .sort((a, b) => Number(/(\d+)\.out$/.exec(a)![1]) - Number(/(\d+)\.out$/.exec(b)![1]))
    .map((f) => readFileSync(join(logs, f), 'utf8'));
}

describe('prunelab slurm on a real Slurm cluster', () => {
  it('runs as printed and equals an unsharded run; after scancel of a shard, submitting again finishes and merges', async (ctx) => {
    if ('skip' in cluster) {
      if (process.env['PRUNELAB_REQUIRE_SLURM']) throw new Error(`PRUNELAB_REQUIRE_SLURM is set, but ${cluster.skip}`);
      ctx.skip(`no Slurm cluster: ${cluster.skip}`);
      return;
    }
    const c = cluster;
    writeFileSync(join(dir, 'sweep.yaml'), SWEEP);
    // The reference: the same sweep, unsharded, on this machine.
    const reference = prunelab(['run', join(dir, 'sweep.yaml'), '-j', '2', '--no-gpu', '--results', join(dir, 'reference')]);
    expect(reference.status, reference.stderr).toBe(0);

    // `prunelab` on PATH as npm links it (node_modules/.bin), and the README's line, run by a shell.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(resolve(dirname(builtBin), '../bin/prunelab.js'), join(bin, 'prunelab'));
    const env = { ...c.env, PATH: `${bin}:${dirname(process.execPath)}:${c.env['PATH']}` };
    const shell = (line: string) => spawnSync('bash', ['-c', line], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
    const submitted = shell('prunelab slurm sweep.yaml --shards 2 --no-gpu > sweep.sbatch && sbatch sweep.sbatch');
    expect(submitted.status, submitted.stderr).toBe(0);
    const firstJob = /Submitted batch job (\d+)/.exec(submitted.stdout)![1]!;
    const script = readFileSync(join(dir, 'sweep.sbatch'), 'utf8');
    expect(script).not.toMatch(/npx/);
    // --cpus defaults to what a shard can use (4 runs), cut to the node's CPUs that sinfo reports.
    const cpus = Number(/^NodeName=\S+ CPUs=(\d+)/m.exec(spawnSync('slurmd', ['-C'], { encoding: 'utf8', env }).stdout)?.[1]);
    expect(script).toContain(`#SBATCH --cpus-per-task=${Math.min(4, cpus)}\n`);
    expect(script).toMatch(/^#SBATCH --mem=\d+M$/m);

    // Kill shard 1 with scancel once a run of it is in flight: it has more runs left than the kill takes.
    const results = join(dir, 'results');
    await waitForPoints(join(results, 'shards', 'shard-1', 'prunelab.sqlite'), 1, 180_000);
    const cancel = c.run('scancel', [`${firstJob}_1`]);
    expect(cancel.status, cancel.stderr).toBe(0);
    await c.waitForEmptyQueue(240_000);
    // SIGTERM reached node through the job script: nothing is left 'running', and the shard is not finished.
    const killed = runStatuses(join(results, 'shards', 'shard-1', 'prunelab.sqlite')).map((r) => r.status);
    expect(killed).not.toContain('running');
    expect(killed.filter((s) => s !== 'done').length).toBeGreaterThan(0);
    // The merge ran anyway (afterany), merged what there was, and named the unfinished shard.
    const [firstMerge] = mergeLogs(results);
    expect(firstMerge).toMatch(/^merged 2 database\(s\)/m);
    expect(firstMerge).toMatch(/^ {2}shard 1\/2: /m);
    expect(firstMerge).not.toMatch(/shard 2\/2/);

    // Submitting the same script again resumes shard 1, skips shard 2, and merges: no manual step.
    const again = shell('sbatch sweep.sbatch');
    expect(again.status, again.stderr).toBe(0);
    await c.waitForEmptyQueue(240_000);
    const merges = mergeLogs(results);
    expect(merges).toHaveLength(2);
    expect(merges[1]).toMatch(/^onslurm: all 6 run\(s\) are done$/m);

    const merged = snapshot(join(results, 'prunelab.sqlite'));
    const local = snapshot(join(dir, 'reference', 'prunelab.sqlite'));
    expect(merged.runs).toHaveLength(6);
    expect(merged.runs).toEqual(local.runs);
    expect(merged.points).toEqual(local.points); // same seeds, same backend: bit-identical
    expect(merged.curves).toEqual(local.curves);

    // Each dense model was trained once for the whole sweep, and the merged rows name files in the merged folder.
    const denseRows = (db: string) => {
      const d = openDatabase(db, { readonly: true });
      const rows = d.prepare(`SELECT key, file FROM dense_models ORDER BY key`).all() as Array<{ key: string; file: string }>;
      d.close();
      return rows;
    };
    const perShard = [1, 2].flatMap((i) => denseRows(join(results, 'shards', `shard-${i}`, 'prunelab.sqlite')).map((r) => r.key));
    expect(perShard).toHaveLength(3);
    expect(new Set(perShard).size).toBe(3);
    const mergedDense = denseRows(join(results, 'prunelab.sqlite'));
    expect(mergedDense).toHaveLength(3);
    for (const row of mergedDense) {
      expect(row.file.startsWith(join(results, 'cache', 'dense'))).toBe(true);
      expect(existsSync(row.file)).toBe(true);
    }
  }, 600_000);
});
