import { PrunelabError } from '@prunelab/core';
import { checkScriptValue, shellWord } from '../shell.js';
import { formatSlurmTime, type SlurmSeconds } from './slurm-time.js';

/** Everything the job script says, resolved: absolute paths, sizes, limits. */
export interface SlurmScriptOptions {
  /** The sweep's name: the job name, and the merge job's with -merge. */
  readonly name: string;
  readonly sweep: string;
  readonly shards: number;
  /** At most this many array tasks at once (--array=1-N%P). */
  readonly parallel?: number;
  readonly cpus: number;
  /** Per task, in MB; undefined: no --mem directive (a cluster that does not schedule memory). */
  readonly memoryMb: number | undefined;
  readonly mergeMemoryMb: number | undefined;
  readonly time: SlurmSeconds;
  readonly mergeTime: SlurmSeconds;
  readonly partition?: string;
  readonly account?: string;
  readonly qos?: string;
  /** Shell commands run before node in every job (module load ...): the user's own code, run as written. */
  readonly setup?: string;
  readonly results: string;
  /** --set values passed to every shard and to the merge's check. */
  readonly set: readonly string[];
  readonly retryFailed: boolean;
  readonly noGpu: boolean;
  /** The node binary and prunelab's bin file, by absolute path: never npx, which may fetch a package named prunelab. */
  readonly node: string;
  readonly bin: string;
}

/** Where the logs go: a folder `prunelab slurm` creates, as sbatch opens --output before the job starts. */
export const logFolder = (results: string): string => `${results}/slurm`;

/**
 * Seconds before the time limit at which Slurm sends the job script SIGTERM
 * (--signal=B:TERM@lead), which it forwards to node: in-flight runs are
 * marked interrupted before the limit's own SIGTERM and KillWait's SIGKILL.
 * A tenth of the limit, between 30 s and 2 min (Slurm may send it up to a
 * minute early).
 */
function signalLead(time: SlurmSeconds): number {
  return Math.round(Math.min(120, Math.max(30, time / 10)));
}

/**
 * The sbatch script: a job array whose task i runs shard i/N into its own
 * results folder, and a merge job, queued by the first task that starts
 * (and again by a task Slurm requeued), that runs after every task has ended,
 * however it ended (afterany: a cancelled or failed task never leaves it
 * waiting), merges the shards and checks that every run is done. Submitting
 * the script again resumes: done runs are skipped, and the new array queues
 * its own merge.
 *
 * Every value from the user is shell-quoted where the script runs it, and
 * checked where sbatch reads it as a directive (whose quoting is sbatch's own).
 */
export function slurmScript(o: SlurmScriptOptions): string {
  for (const [option, value] of [
    ['sweep file', o.sweep],
    ['--results', o.results],
    ['--setup', o.setup ?? ''],
    ['node', o.node],
    ['bin', o.bin],
    ...o.set.map((s) => ['--set', s]),
  ] as const) {
    checkScriptValue(option, value);
  }
  checkPlacement(o);
  // sbatch reads --output itself and expands %A/%a there: a path with " or % cannot be written into the directive.
  if (/["%\\]/.test(o.results)) {
    throw new PrunelabError('E_CONFIG_INVALID', 'slurm: the results folder cannot contain ", % or \\ (sbatch reads it in an #SBATCH --output line)', {
      path: '--results',
      value: o.results,
      fix: 'Choose a results folder without those characters',
    });
  }
  const logs = logFolder(o.results);
  const directive = (path: string) => (/\s/.test(path) ? `"${path}"` : path);
  // Passed to both the array and the merge job.
  const placement = [
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    ...(o.account ? [`--account=${o.account}`] : []),
    ...(o.qos ? [`--qos=${o.qos}`] : []),
  ];
  const sets = o.set.flatMap((s) => ['--set', shellWord(s)]);
  const setup = o.setup ? `${o.setup}\n` : '';

  const mergeCommand = [
    ...(o.setup ? [o.setup] : []),
    'set --',
    `for db in ${shellWord(o.results)}/shards/shard-*/prunelab.sqlite; do if [ -e "$db" ]; then set -- "$@" "$db"; fi; done`,
    [
      shellWord(o.node),
      shellWord(o.bin),
      'merge',
      '"$@"',
      '--into',
      shellWord(`${o.results}/prunelab.sqlite`),
      '--expect',
      shellWord(o.sweep),
      '--shards',
      String(o.shards),
      ...sets,
    ].join(' '),
  ].join('; ');
  const mergeOptions = [
    `--job-name=${o.name}-merge`,
    '--dependency=afterany:"$SLURM_ARRAY_JOB_ID"',
    '--cpus-per-task=1',
    ...(o.mergeMemoryMb !== undefined ? [`--mem=${o.mergeMemoryMb}M`] : []),
    `--time=${formatSlurmTime(o.mergeTime)}`,
    '--open-mode=append',
    `--output=${shellWord(`${logs}/%x-%j.out`)}`,
    ...placement,
  ];
  const runArgs = [
    '"$node" "$prunelab" run "$sweep"',
    `--shard "$SLURM_ARRAY_TASK_ID/${o.shards}"`,
    '-j "$SLURM_CPUS_PER_TASK"',
    '--results "$results/shards/shard-$SLURM_ARRAY_TASK_ID"',
    ...(sets.length > 0 ? [sets.join(' ')] : []),
    ...(o.retryFailed ? ['--retry-failed'] : []),
    ...(o.noGpu ? ['--no-gpu'] : []),
  ].join(' ');

  return `#!/bin/bash
# Generated by prunelab slurm for the sweep ${o.name}.
# Each of the ${o.shards} array tasks runs one shard of the sweep into its own
# results folder (runs that share a dense model share a shard, so each dense
# model is trained once). The first task to start queues the merge job: once
# every task has ended, however it ended, it merges the shards into the
# results folder and checks that every run is done, naming the shards that are
# not. To finish what a cancelled, failed or timed-out task left, submit this
# script again: done runs are skipped, and the merge runs again.
# Logs: ${logs}/
#SBATCH --job-name=${o.name}
#SBATCH --array=1-${o.shards}${o.parallel !== undefined ? `%${o.parallel}` : ''}
#SBATCH --cpus-per-task=${o.cpus}
${o.memoryMb !== undefined ? `#SBATCH --mem=${o.memoryMb}M\n` : ''}#SBATCH --time=${formatSlurmTime(o.time)}
#SBATCH --signal=B:TERM@${signalLead(o.time)}
#SBATCH --open-mode=append
#SBATCH --output=${directive(`${logs}/%x-%A_%a.out`)}
${placement.map((p) => `#SBATCH ${p}\n`).join('')}
set -euo pipefail
: "\${SLURM_ARRAY_TASK_ID:?submit this script with sbatch: it runs as a Slurm job array}"
node=${shellWord(o.node)}
prunelab=${shellWord(o.bin)}
sweep=${shellWord(o.sweep)}
results=${shellWord(o.results)}
logs=${shellWord(logs)}
mkdir -p "$logs"
${setup}
# The merge job, once per array job (mkdir is atomic), and again after a requeue.
if mkdir "$logs/.merge-queued-$SLURM_ARRAY_JOB_ID" 2>/dev/null || [ "\${SLURM_RESTART_COUNT:-0}" -gt 0 ]; then
  if merge=$(sbatch --parsable ${mergeOptions.join(' ')} \\
    --wrap=${shellWord(mergeCommand)}); then
    echo "prunelab: queued the merge job $merge, to run once every task of job $SLURM_ARRAY_JOB_ID has ended"
  else
    rmdir "$logs/.merge-queued-$SLURM_ARRAY_JOB_ID" 2>/dev/null || true
    echo "prunelab: could not queue the merge job; the next task to start tries again" >&2
  fi
fi

# node runs in the background so that this shell can forward Slurm's SIGTERM
# (--signal, scancel) to it: in-flight runs are then marked interrupted.
run=
trap 'kill -TERM "$run" 2>/dev/null || true' TERM
${runArgs} &
run=$!
set +e
wait "$run"
status=$?
# wait returns early when a trapped signal arrives: wait again until node has exited.
while kill -0 "$run" 2>/dev/null; do
  wait "$run"
  status=$?
done
exit "$status"
`;
}

/** --partition, --account and --qos are written into #SBATCH lines and sbatch's command line: names only. */
export function checkPlacement(o: { readonly partition?: string | undefined; readonly account?: string | undefined; readonly qos?: string | undefined }): void {
  checkName('--partition', 'a partition name, or several separated by commas', o.partition, /^[\w.-]+(,[\w.-]+)*$/, 'gpu');
  checkName('--account', 'an account name', o.account, /^[\w.-]+$/, 'proj123');
  checkName('--qos', 'a QOS name', o.qos, /^[\w.-]+$/, 'normal');
}

function checkName(option: string, what: string, value: string | undefined, pattern: RegExp, example: string): void {
  if (value !== undefined && !pattern.test(value)) {
    throw new PrunelabError('E_CONFIG_INVALID', `slurm: ${option} must be ${what} (letters, digits, _ . -)`, {
      path: option,
      value,
      fix: `Example: ${option} ${example}`,
    });
  }
}
