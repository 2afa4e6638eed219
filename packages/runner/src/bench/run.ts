import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runner benchmarks (npm run bench): the quickstart's wall time, -j 1 against
 * -j 2 on the same sweep, the orchestration overhead per run, and the peak
 * resident memory of 1- and 2-worker sweeps. Each measurement is a fresh CLI
 * process with an empty results folder, so dense training is included.
 */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'nx.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('nx.json not found above the bench script');
    dir = up;
  }
  return dir;
}

interface Measurement {
  jobs: number;
  wallS: number;
  runs: number;
  runsPerMin: number;
  orchestrationPctOfRunTime: number;
  maxRssMb: number;
}

function measure(root: string, sweep: string, jobs: number): Measurement {
  const results = mkdtempSync(join(tmpdir(), 'prunelab-bench-'));
  const r = spawnSync(process.execPath, [join(root, 'packages/cli/dist/bin.js'), 'run', sweep, '-j', String(jobs), '--results', results, '--stats'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`sweep failed (${r.status}): ${r.stderr}`);
  const stats = JSON.parse(
    r.stdout
      .split('\n')
      .find((l) => l.startsWith('stats: '))!
      .slice(7),
  ) as {
    wallMs: number;
    done: number;
    orchestrationMs: number;
    runWallMs: number;
    maxRssMb: number;
  };
  return {
    jobs,
    wallS: stats.wallMs / 1000,
    runs: stats.done,
    runsPerMin: (stats.done / stats.wallMs) * 60_000,
    orchestrationPctOfRunTime: (100 * stats.orchestrationMs) / stats.runWallMs,
    maxRssMb: stats.maxRssMb,
  };
}

const root = repoRoot();
const sweep = resolve(root, 'experiments/quickstart.yaml');
const two = measure(root, sweep, 2);
const one = measure(root, sweep, 1);
const figures = {
  machine: { cores: (await import('node:os')).cpus().length, cpu: (await import('node:os')).cpus()[0]?.model, node: process.version },
  quickstart: two,
  quickstartOneWorker: one,
  laneScaling: one.wallS / two.wallS,
  peakRssMb: { oneWorker: one.maxRssMb, twoWorkers: two.maxRssMb, growth: two.maxRssMb - one.maxRssMb },
};
const out = join(root, 'results/bench/runner.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(figures, null, 2)}\n`);
process.stdout.write(
  [
    `quickstart, -j 2: ${two.wallS.toFixed(1)} s wall (${two.runs} runs, dense training included)`,
    `quickstart, -j 1: ${one.wallS.toFixed(1)} s wall`,
    `lane scaling -j1 -> -j2: ${figures.laneScaling.toFixed(2)}x`,
    `orchestration overhead: ${two.orchestrationPctOfRunTime.toFixed(3)}% of run time (-j 2)`,
    `peak RSS: ${one.maxRssMb.toFixed(0)} MB with 1 worker, ${two.maxRssMb.toFixed(0)} MB with 2 (+${figures.peakRssMb.growth.toFixed(0)} MB)`,
    `written to ${out}`,
  ].join('\n') + '\n',
);
