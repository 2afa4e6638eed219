import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/**
 * A real single-node Slurm cluster for one test file: munged, slurmctld and
 * slurmd from Debian's munge and slurm-wlm, started here without systemd,
 * in a private folder with its own key, ports and state. Its slurm.conf is
 * the minimal one: loopback, proctrack/linuxproc, task/none, select/cons_tres
 * and the node as `slurmd -C` sees it (its real CPUs and memory). `env`
 * points Slurm's commands at it (SLURM_CONF).
 */
export interface SlurmCluster {
  readonly env: NodeJS.ProcessEnv;
  /** Runs a Slurm command (sbatch, squeue, scancel...) against this cluster. */
  run(command: string, args: readonly string[], cwd?: string): { status: number | null; stdout: string; stderr: string };
  /** Polls until no job is queued or running, or throws after `timeoutMs` with the queue and the logs. */
  waitForEmptyQueue(timeoutMs: number): Promise<void>;
  /** Cancels every job, then stops the daemons this process started, by pid. */
  stop(): Promise<void>;
}

/** Why a cluster could not be had here: the test skips with this (or fails, where CI requires Slurm). */
export interface NoCluster {
  readonly skip: string;
}

const DAEMONS = ['munged', 'slurmctld', 'slurmd'] as const;
const COMMANDS = ['sbatch', 'squeue', 'scancel', 'sinfo'] as const;

/** Where a program is, looking in PATH and the sbin folders (daemons live there, often outside a user's PATH). */
function which(program: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'].filter((d) => d.startsWith('/'));
  return dirs.map((d) => join(d, program)).find((p) => existsSync(p));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function until(what: string, timeoutMs: number, ready: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts the cluster, or says why it cannot be started here. */
export async function startSlurmCluster(): Promise<SlurmCluster | NoCluster> {
  const paths = new Map<string, string>();
  for (const program of [...DAEMONS, ...COMMANDS]) {
    const p = which(program);
    if (p === undefined) return { skip: `${program} is not installed: apt-get install -y slurm-wlm munge (.ci/run installs them)` };
    paths.set(program, p);
  }
  if (process.getuid?.() !== 0) return { skip: 'slurmd runs jobs as their user only when it runs as root, and this test is not root' };
  const probe = spawnSync(paths.get('slurmd')!, ['-C'], { encoding: 'utf8' });
  const nodeLine = probe.stdout.split('\n').find((l) => l.startsWith('NodeName='));
  if (nodeLine === undefined) return { skip: `slurmd -C did not describe this node: ${probe.stderr.trim()}` };
  const nodeName = /^NodeName=(\S+)/.exec(nodeLine)![1]!;

  // A short path: munge's socket must fit in a Unix socket address.
  const dir = mkdtempSync('/tmp/prunelab-slurm-');
  chmodSync(dir, 0o700);
  for (const sub of ['munge', 'state', 'spool', 'log']) mkdirSync(join(dir, sub), { mode: 0o700 });
  const key = join(dir, 'munge', 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(dir, 'munge', 'munge.socket');
  const conf = join(dir, 'slurm.conf');
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  writeFileSync(
    conf,
    [
      'ClusterName=prunelabtest',
      `SlurmctldHost=${nodeName}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'JobCompType=jobcomp/none',
      'MpiDefault=none',
      'ReturnToService=2',
      'KillWait=10',
      'MinJobAge=600',
      `${nodeLine.trim()} NodeAddr=127.0.0.1 State=UNKNOWN`,
      `PartitionName=debug Nodes=${nodeName} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? dir, LANG: 'C.UTF-8', SLURM_CONF: conf };
  const started: Array<{ name: string; child: ChildProcess }> = [];
  const launch = (name: string, args: readonly string[]) => {
    const child = spawn(paths.get(name)!, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', () => undefined);
    started.push({ name, child });
    return () => stderr;
  };
  const run = (command: string, args: readonly string[], cwd?: string) => {
    const r = spawnSync(paths.get(command) ?? command, args, { env, cwd, encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const stopDaemons = async () => {
    // slurmd first, then the controller, then munge: each by the pid this process started.
    for (const { child } of [...started].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const logs = () =>
    ['slurmctld.log', 'slurmd.log']
      .map((f) => join(dir, 'log', f))
      .filter(existsSync)
      .map((f) => `--- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-15).join('\n')}`)
      .join('\n');

  const mungeErr = launch('munged', [
    '--foreground',
    '--force',
    `--key-file=${key}`,
    `--socket=${socket}`,
    `--pid-file=${join(dir, 'munge', 'munged.pid')}`,
    `--seed-file=${join(dir, 'munge', 'seed')}`,
    `--log-file=${join(dir, 'log', 'munged.log')}`,
  ]);
  try {
    await until('munged to open its socket', 15_000, () => existsSync(socket));
    launch('slurmctld', ['-D', '-i', '-f', conf]);
    launch('slurmd', ['-D', '-f', conf]);
    await until('the node to be idle', 60_000, () => /^idle/.test(run('sinfo', ['--noheader', '--format=%t']).stdout.trim()));
  } catch (e) {
    const why = `${(e as Error).message}\n${mungeErr()}\n${logs()}`;
    await stopDaemons();
    rmSync(dir, { recursive: true, force: true });
    return { skip: `Slurm did not start here: ${why}` };
  }

  const queue = () => run('squeue', ['--noheader', '--format=%i %j %T %r']).stdout.trim();
  return {
    env,
    run,
    async waitForEmptyQueue(timeoutMs) {
      try {
        await until('the queue to empty', timeoutMs, () => queue() === '');
      } catch (e) {
        throw new Error(`${(e as Error).message}\nsqueue:\n${queue()}\n${logs()}`);
      }
    },
    async stop() {
      run('scancel', [`--user=${spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim()}`]);
      await until('cancelled jobs to end', 30_000, () => queue() === '').catch(() => undefined);
      await stopDaemons();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
