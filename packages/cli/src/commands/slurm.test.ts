import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { slurmScript } from './slurm.js';

const root = mkdtempSync(join(tmpdir(), 'prunelab-slurm-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * Runs the generated script with bash, with npx and sbatch replaced by shell
 * functions that record their arguments one per line: what the script would
 * really pass, after bash's own word splitting and expansion.
 */
function execute(script: string, env: Record<string, string>): { npx: string[]; sbatch: string[]; status: number | null; stderr: string } {
  const dir = mkdtempSync(join(root, 'run-'));
  writeFileSync(join(dir, 'job.sbatch'), script);
  const stubs = `npx() { printf '%s\\n' "$@" > "${dir}/npx.args"; }; sbatch() { printf '%s\\n' "$@" > "${dir}/sbatch.args"; }; export -f npx sbatch 2>/dev/null; source "${dir}/job.sbatch"`;
  const r = spawnSync('bash', ['-c', stubs], { cwd: dir, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', SLURM_ARRAY_JOB_ID: '77', SLURM_CPUS_PER_TASK: '4', ...env }, timeout: 10_000 });
  const lines = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').split('\n').slice(0, -1) : []);
  return { npx: lines('npx.args'), sbatch: lines('sbatch.args'), status: r.status, stderr: r.stderr };
}

describe('prunelab slurm script', () => {
  it('passes hostile file and folder names as single arguments and runs nothing they contain', () => {
    const dir = join(root, 'hostile');
    mkdirSync(dir);
    const sweep = join(dir, "x$(touch PWNED2)'; touch PWNED3; '.yaml");
    const results = join(dir, "my res $(touch PWNED4)");
    const script = slurmScript({ sweep, shards: 4, cpus: 2, time: '01:00:00', partition: 'gpu', results });
    expect(spawnSync('bash', ['-n', '-c', script]).status).toBe(0);

    const task = execute(script, { SLURM_ARRAY_TASK_ID: '1' });
    expect(task.status).toBe(0);
    expect(task.npx).toEqual(['prunelab', 'run', sweep, '--shard', '1/4', '-j', '4', '--results', `${results}/shards/shard-1`]);
    expect(task.sbatch).toContain('--dependency=afterok:77');

    for (const shard of ['shard-1', 'shard-2']) {
      mkdirSync(join(results, 'shards', shard), { recursive: true });
      writeFileSync(join(results, 'shards', shard, 'prunelab.sqlite'), '');
    }
    const merge = execute(script, { SLURM_ARRAY_TASK_ID: '1', PRUNELAB_MERGE: '1' });
    expect(merge.npx).toEqual(['prunelab', 'merge', `${results}/shards/shard-1/prunelab.sqlite`, `${results}/shards/shard-2/prunelab.sqlite`, '--into', `${results}/prunelab.sqlite`]);
    for (const f of ['PWNED2', 'PWNED3', 'PWNED4']) {
      expect(existsSync(join(root, f))).toBe(false);
      expect(spawnSync('find', [root, '-name', f]).stdout.toString()).toBe('');
    }
  });

  it('the #SBATCH lines hold one directive each', () => {
    const script = slurmScript({ sweep: '/s.yaml', shards: 2, cpus: 1, time: '1-00:00:00', results: '/tmp/my results' });
    expect(script).toContain('#SBATCH --output="/tmp/my results/shards/slurm-%A_%a.out"');
  });

  it('refuses values that no quoting makes safe', () => {
    const base = { sweep: '/s.yaml', shards: 2, cpus: 1, time: '04:00:00', results: '/r' };
    const refused: Array<[string, Parameters<typeof slurmScript>[0], RegExp]> = [
      ['a newline in --partition', { ...base, partition: 'gpu\necho PWNED' }, /--partition must be a partition name/],
      ['a newline in --time', { ...base, time: '04:00:00\ntouch x' }, /--time must be a Slurm time/],
      ['a newline in the sweep path', { ...base, sweep: '/a\nb.yaml' }, /sweep file contains a line break/],
      ['a NUL in --results', { ...base, results: '/r\0x' }, /--results contains a line break or NUL/],
      ['a % in --results (sbatch would expand it)', { ...base, results: '/r%x' }, /cannot contain ", % or \\/],
    ];
    for (const [name, o, message] of refused) {
      let error: unknown;
      try {
        slurmScript(o);
      } catch (e) {
        error = e;
      }
      expect(isPrunelabError(error) && error.isUserError, name).toBe(true);
      expect((error as Error).message, name).toMatch(message);
    }
  });
});
