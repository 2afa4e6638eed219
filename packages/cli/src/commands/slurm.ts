import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileProblem, log, PrunelabError } from '@prunelab/core';
import { planSweep } from '@prunelab/runner';
import { ensureFolder, resultPaths } from '@prunelab/store';
import { parse } from './args.js';
import { out } from '../output.js';
import { partitionInfo, type PartitionLimits } from './slurm-partition.js';
import { checkPlacement, logFolder, slurmScript } from './slurm-script.js';
import { requestMb, shardNeeds, type ShardNeeds } from './slurm-sizing.js';
import { checkTime, formatSlurmTime, type SlurmSeconds } from './slurm-time.js';
import type { Command } from './types.js';

const usage = `prunelab slurm <sweep.yaml> --shards N [options] > sweep.sbatch && sbatch sweep.sbatch

Prints a Slurm job-array script. Task i runs shard i/N of the sweep into
<results>/shards/shard-i (runs that share a dense model share a shard, so
each dense model is trained once; a sweep with fewer dense models than N gets
fewer tasks). The first task to start queues a merge job that runs once every
task has ended, however it ended: it merges the shards into
<results>/prunelab.sqlite and checks that every run is done (prunelab merge
--expect), naming the shards that are not. Submit the same script again to
finish what a cancelled, failed or timed-out task left: done runs are skipped.
Logs go to <results>/slurm/, which this command creates. The script runs this
node and this prunelab by absolute path, so they must be reachable from the
compute nodes (a shared file system); --setup runs first in every job.

Options:
  --shards N          array tasks (at most one per dense model of the sweep)
  --parallel P        at most P tasks at once (--array=1-N%P)
  --cpus C            CPUs per task, and workers per shard (default: the runs of the
                      largest shard, at most the CPUs of the partition's nodes)
  --mem SIZE          memory per task, e.g. 4G (default: estimated from the sweep's
                      datasets, models and --cpus)
  --time T            time limit per task (default 04:00:00); Slurm sends SIGTERM before
                      it and the in-flight runs are marked interrupted
  --partition P, --account A, --qos Q
                      passed to the array and to the merge job
  --setup CMD         shell commands run before node in every job, e.g. 'module load nodejs/20'
  --results DIR       results folder (default ./results, or $PRUNELAB_RESULTS)
  --set path=value    override a config value (repeatable), passed to every shard and the merge
  --retry-failed      shards rerun runs that failed before
  --no-gpu            shards do not look for a GPU lane

When sinfo is available, --cpus, --mem and --time are checked against the
partition's nodes: a task that asks for more never starts.`;

/** Slurm's own MaxArraySize is usually far lower; past this a shard count is a typo. */
const MAX_SHARDS = 100_000;
/** Without sinfo, the default --cpus stops here. */
const CPUS_WITHOUT_SINFO = 8;
/** The merge job's time limit: merging and checking take seconds to minutes. */
const MERGE_TIME: SlurmSeconds = 30 * 60;

export const slurmCommand: Command = {
  name: 'slurm',
  summary: 'print an sbatch job-array script that runs a sweep in shards and merges them',
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      'slurm',
      argv,
      {
        shards: { type: 'string' },
        parallel: { type: 'string' },
        cpus: { type: 'string' },
        mem: { type: 'string' },
        time: { type: 'string', default: '04:00:00' },
        partition: { type: 'string' },
        account: { type: 'string' },
        qos: { type: 'string' },
        setup: { type: 'string' },
        results: { type: 'string' },
        set: { type: 'string', multiple: true },
        'retry-failed': { type: 'boolean' },
        'no-gpu': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      1,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    const sweep = positionals[0];
    if (!sweep) throw new PrunelabError('E_CONFIG_INVALID', 'slurm: missing the sweep file', { fix: usage.split('\n')[0]! });
    const problem = fileProblem(sweep, Number.MAX_SAFE_INTEGER);
    if (problem !== undefined)
      throw new PrunelabError('E_FILE_NOT_FOUND', `slurm: the sweep file ${problem}`, {
        file: sweep,
        fix: 'Name the sweep YAML file that the array tasks will run',
      });
    // Missing is the same error as out of range: it says what --shards takes.
    let shards = integer('--shards', values.shards ?? '', 1, MAX_SHARDS, 'Example: --shards 8')!;
    const parallel = integer('--parallel', values.parallel, 1, MAX_SHARDS, 'Example: --parallel 4 (at most 4 tasks at once)');
    const askedCpus = integer('--cpus', values.cpus, 1, 4096, 'Example: --cpus 4');
    const askedMem = values.mem === undefined ? undefined : memoryMb(values.mem);
    const time = checkTime('--time', values.time);
    checkPlacement(values);

    // The sweep as the shards will see it: any error in it is found here, not in every array task.
    const set = values.set ?? [];
    const plan = await planSweep({ file: sweep, ...(set.length > 0 && { set }) });
    const needs = shardNeeds(plan.runs, shards);
    if (needs.useful < shards) {
      log.warn(
        `--shards ${shards}: the sweep's ${plan.runs.length} runs start from ${needs.useful} dense model(s), and the runs of one dense model share a shard ` +
          `(so it is trained once): the script has ${needs.useful} task(s)`,
      );
      shards = Math.max(1, needs.useful);
    }
    const partition = partitionLimits(values.partition);
    const cpus = askedCpus ?? Math.max(1, Math.min(needs.runs, partition?.cpus ?? CPUS_WITHOUT_SINFO));
    const memory = sizeMemory(askedMem, needs, cpus, partition);
    if (partition) checkFits(partition, cpus, memory, time, askedCpus !== undefined);

    const results = resultPaths(values.results).root;
    const bin = fileURLToPath(new URL('../../bin/prunelab.js', import.meta.url));
    if (!existsSync(bin)) throw new PrunelabError('E_INTERNAL', `prunelab's bin file is missing: ${bin}`);
    const script = slurmScript({
      name: plan.sweep.name,
      sweep: resolve(sweep),
      shards,
      ...(parallel !== undefined && { parallel }),
      cpus,
      memoryMb: memory,
      mergeMemoryMb: partition && partition.memoryMb === undefined ? undefined : requestMb(needs.mergePeakMb),
      time,
      mergeTime: Math.min(time, MERGE_TIME),
      ...(values.partition !== undefined && { partition: values.partition }),
      ...(values.account !== undefined && { account: values.account }),
      ...(values.qos !== undefined && { qos: values.qos }),
      ...(values.setup !== undefined && { setup: values.setup }),
      results,
      set,
      retryFailed: values['retry-failed'] === true,
      noGpu: values['no-gpu'] === true,
      node: process.execPath,
      bin,
    });
    // sbatch opens --output before the job starts, and a missing folder fails every task at launch.
    ensureFolder(logFolder(results));
    out(script);
    return 0;
  },
};

function integer(option: string, text: string | undefined, min: number, max: number, fix: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new PrunelabError('E_CONFIG_INVALID', `slurm: ${option} must be an integer from ${min} to ${max}`, { path: option, value: text, fix });
  return n;
}

/** --mem as Slurm reads it (a number of MB, or K, M, G, T), in MB. */
function memoryMb(text: string): number {
  const m = /^(\d+)([KMGT]?)B?$/i.exec(text.trim());
  const mb = m ? Number(m[1]) * { '': 1, K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 }[m[2]!.toUpperCase()]! : Number.NaN;
  if (!(mb >= 1))
    throw new PrunelabError('E_CONFIG_INVALID', 'slurm: --mem must be a size such as 4G or 800M (at least 1M)', {
      path: '--mem',
      value: text,
      fix: 'Example: --mem 4G',
    });
  return Math.ceil(mb);
}

/** The partition's limits from sinfo, or undefined (with a note) where they cannot be read. */
function partitionLimits(partition: string | undefined): PartitionLimits | undefined {
  const info = partitionInfo(partition);
  if ('limits' in info) return info.limits;
  if ('missing' in info) {
    throw new PrunelabError('E_CONFIG_INVALID', `slurm: sinfo lists no partition ${info.missing}`, {
      path: '--partition',
      value: info.missing,
      fix: `Partitions here: ${info.partitions.join(', ') || 'none'}`,
    });
  }
  log.warn(`${info.unknown}: --cpus, --mem and --time are not checked against the partition's nodes`);
  return undefined;
}

/**
 * The memory directive in MB: --mem as asked; else the estimate for `cpus`
 * workers, at most a node's memory (with a warning when the estimate is
 * above it); none on a cluster that does not schedule memory.
 */
function sizeMemory(asked: number | undefined, needs: ShardNeeds, cpus: number, partition: PartitionLimits | undefined): number | undefined {
  if (asked !== undefined) return asked;
  if (partition && partition.memoryMb === undefined) return undefined;
  const want = requestMb(needs.peakMb(cpus));
  if (partition?.memoryMb !== undefined && want > partition.memoryMb) {
    log.warn(
      `the estimated ${want} MB per task is more than the ${partition.memoryMb} MB of partition ${partition.name}'s nodes: asking for ${partition.memoryMb} MB (fewer --cpus need less)`,
    );
    return partition.memoryMb;
  }
  return want;
}

/** A task that asks for more than any node of the partition offers stays pending for ever (Reason=PartitionConfig). */
function checkFits(p: PartitionLimits, cpus: number, memory: number | undefined, time: SlurmSeconds, cpusAsked: boolean): void {
  if (cpus > p.cpus) {
    throw new PrunelabError('E_CONFIG_INVALID', `slurm: the nodes of partition ${p.name} have at most ${p.cpus} CPUs (sinfo): the tasks would never start`, {
      path: cpusAsked ? '--cpus' : '--partition',
      value: cpus,
      fix: `Use --cpus ${p.cpus} or less`,
    });
  }
  if (memory !== undefined && p.memoryMb !== undefined && memory > p.memoryMb) {
    throw new PrunelabError('E_CONFIG_INVALID', `slurm: the nodes of partition ${p.name} have at most ${p.memoryMb} MB (sinfo): the tasks would never start`, {
      path: '--mem',
      value: `${memory}M`,
      fix: `Use --mem ${p.memoryMb}M or less`,
    });
  }
  if (time > p.maxTime) {
    throw new PrunelabError('E_CONFIG_INVALID', `slurm: partition ${p.name} allows at most ${formatSlurmTime(p.maxTime)} per job (sinfo)`, {
      path: '--time',
      value: formatSlurmTime(time),
      fix: `Use --time ${formatSlurmTime(p.maxTime)} or less (submit the script again to continue)`,
    });
  }
}
