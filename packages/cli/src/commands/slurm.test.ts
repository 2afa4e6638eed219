import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { main } from '../main.js';
import { slurmScript, type SlurmScriptOptions } from './slurm-script.js';
import { parseSlurmTime } from './slurm-time.js';

const root = mkdtempSync(join(tmpdir(), 'prunelab-slurm-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const executable = (file: string, text: string) => {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
  return file;
};

/**
 * A folder where the generated script can run outside Slurm: `node` is a
 * script that records its arguments one per line, and `sbatch` (first on
 * PATH) records its own and answers a job id, or fails when told to.
 */
function sandbox(name: string) {
  const dir = join(root, name);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  const node = executable(join(dir, 'fake node'), `#!/bin/bash\nprintf '%s\\n' "$@" > "${dir}/node.args"\n`);
  executable(join(dir, 'bin', 'sbatch'), `#!/bin/bash\n[ -n "\${SBATCH_FAILS:-}" ] && exit 1\nprintf '%s\\n' "$@" >> "${dir}/sbatch.args"\necho 4242\n`);
  const lines = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').split('\n').slice(0, -1) : []);
  return {
    dir,
    node,
    /** Runs the script as task `task` of array job 77 would. */
    task(script: string, task: string, env: Record<string, string> = {}) {
      for (const f of ['node.args', 'sbatch.args']) rmSync(join(dir, f), { force: true });
      writeFileSync(join(dir, 'job.sbatch'), script);
      const r = spawnSync('bash', [join(dir, 'job.sbatch')], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: `${dir}/bin:${process.env['PATH'] ?? ''}`, SLURM_ARRAY_JOB_ID: '77', SLURM_ARRAY_TASK_ID: task, SLURM_CPUS_PER_TASK: '3', ...env },
        timeout: 10_000,
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr, node: lines('node.args'), sbatch: lines('sbatch.args') };
    },
    /** Runs a merge job's --wrap text as sbatch would (sh). */
    wrap(text: string) {
      rmSync(join(dir, 'node.args'), { force: true });
      spawnSync('sh', ['-c', text], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
      return lines('node.args');
    },
  };
}

const base = (over: Partial<SlurmScriptOptions>): SlurmScriptOptions => ({
  name: 'sweep1',
  sweep: '/s.yaml',
  shards: 4,
  cpus: 2,
  memoryMb: 1024,
  mergeMemoryMb: 512,
  time: 3600,
  mergeTime: 1800,
  results: '/r',
  set: [],
  retryFailed: false,
  noGpu: false,
  node: '/usr/bin/node',
  bin: '/opt/prunelab/bin/prunelab.js',
  ...over,
});

describe('the job script', () => {
  it('runs the shard by absolute path with every value as one argument, queues the merge (afterany) once, and runs nothing a name contains', () => {
    const box = sandbox('hostile');
    const sweep = join(box.dir, "x$(touch PWNED2)'; touch PWNED3; '.yaml");
    const results = join(box.dir, 'my res $(touch PWNED4)');
    const bin = join(box.dir, 'pl $(touch PWNED5)', 'prunelab.js');
    const set = ["model.name=mlp'; touch PWNED6; '", 'train.epochs=2'];
    const script = slurmScript(
      base({ sweep, results, bin, node: box.node, set, partition: 'gpu', account: 'proj1', qos: 'long', retryFailed: true, noGpu: true }),
    );
    expect(spawnSync('bash', ['-n', '-c', script]).status).toBe(0);
    expect(script).not.toMatch(/npx/);

    const first = box.task(script, '1');
    expect(first.status, first.stderr).toBe(0);
    expect(first.node).toEqual([
      bin,
      'run',
      sweep,
      '--shard',
      '1/4',
      '-j',
      '3',
      '--results',
      `${results}/shards/shard-1`,
      '--set',
      set[0],
      '--set',
      set[1],
      '--retry-failed',
      '--no-gpu',
    ]);
    expect(first.stdout).toMatch(/queued the merge job 4242, to run once every task of job 77 has ended/);
    const wrap = first.sbatch.find((a) => a.startsWith('--wrap='))!.slice('--wrap='.length);
    expect(first.sbatch.filter((a) => !a.startsWith('--wrap='))).toEqual([
      '--parsable',
      '--job-name=sweep1-merge',
      '--dependency=afterany:77',
      '--cpus-per-task=1',
      '--mem=512M',
      '--time=00:30:00',
      '--open-mode=append',
      `--output=${results}/slurm/%x-%j.out`,
      '--partition=gpu',
      '--account=proj1',
      '--qos=long',
    ]);
    // The merge job merges the shard databases that exist and checks the sweep.
    for (const shard of ['shard-1', 'shard-3']) {
      mkdirSync(join(results, 'shards', shard), { recursive: true });
      writeFileSync(join(results, 'shards', shard, 'prunelab.sqlite'), '');
    }
    expect(box.wrap(wrap)).toEqual([
      bin,
      'merge',
      `${results}/shards/shard-1/prunelab.sqlite`,
      `${results}/shards/shard-3/prunelab.sqlite`,
      '--into',
      `${results}/prunelab.sqlite`,
      '--expect',
      sweep,
      '--shards',
      '4',
      '--set',
      set[0],
      '--set',
      set[1],
    ]);
    for (const f of ['PWNED2', 'PWNED3', 'PWNED4', 'PWNED5', 'PWNED6']) expect(spawnSync('find', [root, '-name', f]).stdout.toString(), f).toBe('');
  });

  it('the next task queues no second merge, a requeued one does, and a failed sbatch leaves it to the next task', () => {
    const box = sandbox('once');
    const script = slurmScript(base({ node: box.node, results: join(box.dir, 'results') }));
    expect(box.task(script, '1').sbatch).not.toEqual([]);
    expect(box.task(script, '2').sbatch).toEqual([]);
    expect(box.task(script, '2', { SLURM_RESTART_COUNT: '1' }).sbatch).not.toEqual([]);
    // A new array job (the script submitted again) queues its own.
    expect(box.task(script, '3', { SLURM_ARRAY_JOB_ID: '78' }).sbatch).not.toEqual([]);
    const failed = box.task(script, '1', { SLURM_ARRAY_JOB_ID: '79', SBATCH_FAILS: '1' });
    expect(failed.stderr).toMatch(/could not queue the merge job; the next task to start tries again/);
    expect(failed.node).not.toEqual([]); // the shard still runs
    expect(box.task(script, '2', { SLURM_ARRAY_JOB_ID: '79' }).sbatch).not.toEqual([]);
  });

  it("forwards Slurm's SIGTERM to node and exits with node's status", async () => {
    const box = sandbox('signal');
    const node = executable(
      join(box.dir, 'slow-node'),
      `#!/bin/bash\ntrap 'echo TERM >> "${box.dir}/signals"; exit 143' TERM\ntouch "${box.dir}/ready"\nwhile :; do sleep 0.05; done\n`,
    );
    writeFileSync(join(box.dir, 'job.sbatch'), slurmScript(base({ node, results: join(box.dir, 'results') })));
    const job = spawn('bash', [join(box.dir, 'job.sbatch')], {
      cwd: box.dir,
      env: { PATH: `${box.dir}/bin:${process.env['PATH'] ?? ''}`, SLURM_ARRAY_JOB_ID: '77', SLURM_ARRAY_TASK_ID: '1', SLURM_CPUS_PER_TASK: '1' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => job.on('exit', r));
    for (let i = 0; !existsSync(join(box.dir, 'ready')); i++) {
      if (i > 200) throw new Error('the job script never started node');
      await new Promise((r) => setTimeout(r, 50));
    }
    job.kill('SIGTERM'); // as --signal=B:TERM does: the batch shell only
    expect(await exited).toBe(143);
    expect(readFileSync(join(box.dir, 'signals'), 'utf8')).toBe('TERM\n');
  });

  it('has the directives HPC users expect, one per #SBATCH line', () => {
    const script = slurmScript(
      base({ shards: 8, parallel: 3, cpus: 4, memoryMb: 2048, time: 86400 + 3600, results: '/tmp/my results', partition: 'a,b', account: 'p', qos: 'q' }),
    );
    const directives = script.split('\n').filter((l) => l.startsWith('#SBATCH'));
    expect(directives).toEqual([
      '#SBATCH --job-name=sweep1',
      '#SBATCH --array=1-8%3',
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --mem=2048M',
      '#SBATCH --time=1-01:00:00',
      '#SBATCH --signal=B:TERM@120',
      '#SBATCH --open-mode=append',
      '#SBATCH --output="/tmp/my results/slurm/%x-%A_%a.out"',
      '#SBATCH --partition=a,b',
      '#SBATCH --account=p',
      '#SBATCH --qos=q',
    ]);
    // A cluster that does not schedule memory gets no --mem; a short limit gets an earlier warning than 2 min.
    const bare = slurmScript(base({ memoryMb: undefined, mergeMemoryMb: undefined, time: 600 }));
    expect(bare).not.toMatch(/--mem/);
    expect(bare).toMatch(/^#SBATCH --signal=B:TERM@60$/m);
  });

  it('refuses values that no quoting makes safe', () => {
    const refused: Array<[string, Partial<SlurmScriptOptions>, RegExp]> = [
      ['a newline in --partition', { partition: 'gpu\necho PWNED' }, /--partition must be a partition name/],
      ['a space in --account', { account: 'a b' }, /--account must be an account name/],
      ['a newline in the sweep path', { sweep: '/a\nb.yaml' }, /sweep file contains a line break/],
      ['a newline in --setup', { setup: 'module load x\nrm -rf /' }, /--setup contains a line break/],
      ['a newline in --set', { set: ['a=1\ntouch x'] }, /--set contains a line break/],
      ['a NUL in --results', { results: '/r\0x' }, /--results contains a line break or NUL/],
      ['a % in --results (sbatch would expand it)', { results: '/r%x' }, /cannot contain ", % or \\/],
    ];
    for (const [name, o, message] of refused) {
      let error: unknown;
      try {
        slurmScript(base(o));
      } catch (e) {
        error = e;
      }
      expect(isPrunelabError(error) && error.isUserError, name).toBe(true);
      expect((error as Error).message, name).toMatch(message);
    }
  });
});

describe('parseSlurmTime', () => {
  it("reads every form of sbatch's --time and refuses slips", () => {
    const ok: Array<[string, number]> = [
      ['90', 5400],
      ['30:15', 1815],
      ['04:00:00', 14400],
      ['2-0', 172800],
      ['1-12:30', 131400],
      ['1-00:00:01', 86401],
      ['UNLIMITED', Infinity],
      ['infinite', Infinity],
    ];
    for (const [text, seconds] of ok) expect(parseSlurmTime(text), text).toBe(seconds);
    for (const bad of ['4:00:00:00', '04:75:00', '1-24:00', '10:60', '4h', '', '-1', '04:00:00\ntouch x']) expect(parseSlurmTime(bad), bad).toBeUndefined();
  });
});

/** Runs the CLI in-process with `sinfo` (reporting `sinfo`, or absent when undefined) first on PATH. */
async function cli(argv: string[], sinfo: string | undefined, env: Record<string, string> = {}) {
  const bin = mkdtempSync(join(root, 'path-'));
  if (sinfo !== undefined) executable(join(bin, 'sinfo'), `#!/bin/sh\nprintf '${sinfo}'\n`);
  const saved = { ...process.env };
  process.env['PATH'] = sinfo === undefined ? bin : `${bin}:${process.env['PATH'] ?? ''}`;
  Object.assign(process.env, env);
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    return { code: await main(['slurm', ...argv]), stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.env = saved;
  }
}

describe('prunelab slurm', () => {
  const sweep = join(root, 'tiny.yaml');
  // Two seeds: two dense models, so at most two shards have runs (two each).
  writeFileSync(
    sweep,
    `name: tiny
dataset: { name: synthetic, kind: blobs, dims: 8, classes: 3, trainSize: 300, valSize: 0, testSize: 200 }
model: { name: mlp, hidden: [16] }
train: { epochs: 1, batchSize: 50 }
finetune: { epochs: 0.2, batchSize: 50 }
prune: { sparsities: [0.5, 0.9] }
grid:
  scorer: [magnitude, random]
seeds: [0, 1]
`,
  );
  const TWO_CPUS = 'debug*|2|24000|infinite\\nlong|64|512000|7-00:00:00\\n';

  it('sizes the job from the sweep and the partition, creates the log folder, and calls this node and prunelab, never npx', async () => {
    const results = join(root, 'sized');
    const r = await cli([sweep, '--shards', '8', '--results', results], TWO_CPUS);
    expect(r.code, r.stderr).toBe(0);
    // 8 asked, 2 dense models: 2 tasks, and the warning says why.
    expect(r.stdout).toMatch(/^#SBATCH --array=1-2$/m);
    expect(r.stderr).toMatch(/--shards 8: the sweep's 4 runs start from 2 dense model\(s\).*the script has 2 task\(s\)/);
    expect(r.stdout).toMatch(/^#SBATCH --cpus-per-task=2$/m); // 2 runs per shard, 2 CPUs per node
    expect(r.stdout).toMatch(/^#SBATCH --mem=512M$/m);
    expect(r.stdout).toMatch(/^#SBATCH --job-name=tiny$/m);
    expect(r.stdout).toContain(`node=${process.execPath}\n`);
    expect(r.stdout).toMatch(/^prunelab=\/\S+\/packages\/cli\/bin\/prunelab\.js$/m);
    expect(r.stdout).not.toMatch(/npx/);
    expect(existsSync(join(results, 'slurm'))).toBe(true);
    // A partition with bigger nodes: as many CPUs as the largest shard has runs.
    expect((await cli([sweep, '--shards', '2', '--partition', 'long', '--results', results], TWO_CPUS)).stdout).toMatch(/^#SBATCH --cpus-per-task=2$/m);
  });

  it('refuses what the partition cannot run, naming the limit sinfo reports', async () => {
    const results = join(root, 'refused');
    const tooMany = await cli([sweep, '--shards', '2', '--cpus', '4', '--results', results], TWO_CPUS);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(
      /--cpus: slurm: the nodes of partition debug have at most 2 CPUs \(sinfo\): the tasks would never start \(got 4\)\. Use --cpus 2 or less/,
    );
    const tooLong = await cli([sweep, '--shards', '2', '--partition', 'long', '--time', '8-00:00:00', '--results', results], TWO_CPUS);
    expect(tooLong.stderr).toMatch(/--time: slurm: partition long allows at most 7-00:00:00 per job/);
    const tooBig = await cli([sweep, '--shards', '2', '--mem', '100G', '--results', results], TWO_CPUS);
    expect(tooBig.stderr).toMatch(/--mem: slurm: the nodes of partition debug have at most 24000 MB/);
    const unknown = await cli([sweep, '--shards', '2', '--partition', 'gpu', '--results', results], TWO_CPUS);
    expect(unknown.stderr).toMatch(/--partition: slurm: sinfo lists no partition gpu \(got "gpu"\)\. Partitions here: debug, long/);
    const badTime = await cli([sweep, '--shards', '2', '--time', '4:00:00:00', '--results', results], TWO_CPUS);
    expect(badTime.stderr).toMatch(/--time: slurm: --time must be a Slurm time limit above zero/);
    for (const r of [tooLong, tooBig, unknown, badTime]) expect(r.code).toBe(2);
    expect(existsSync(join(results, 'slurm'))).toBe(false);
  });

  it('without sinfo, says nothing was checked; $PRUNELAB_RESULTS is the default results folder; --mem and --parallel as given', async () => {
    const results = join(root, 'from-env');
    const r = await cli([sweep, '--shards', '2', '--mem', '3G', '--parallel', '1', '--setup', 'module load nodejs/20'], undefined, {
      PRUNELAB_RESULTS: results,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/sinfo is not installed here: --cpus, --mem and --time are not checked/);
    expect(r.stdout).toContain(`results=${results}\n`);
    expect(r.stdout).toMatch(/^#SBATCH --mem=3072M$/m);
    expect(r.stdout).toMatch(/^#SBATCH --array=1-2%1$/m);
    expect(r.stdout).toMatch(/^module load nodejs\/20$/m);
    expect(r.stdout).toMatch(/--wrap='module load nodejs\/20; /);
  });

  it('a cluster that does not configure node memory (RealMemory 1) gets no --mem', async () => {
    const r = await cli([sweep, '--shards', '2', '--results', join(root, 'nomem')], 'debug*|2|1|infinite\\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/--mem/);
  });
});
