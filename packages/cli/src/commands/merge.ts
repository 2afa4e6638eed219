import { PrunelabError } from '@prunelab/core';
import { planSweep } from '@prunelab/runner';
import { mergeDatabases } from '@prunelab/store';
import { parse } from './args.js';
import { checkMerged } from './merge-check.js';
import { err, out } from '../output.js';
import type { Command } from './types.js';

const usage = `prunelab merge a.sqlite b.sqlite ... --into all.sqlite [--expect sweep.yaml [--set path=value]... [--shards N]]

Merges shard databases. Idempotent: merging the same file again changes
nothing. A run takes its most finished copy (done over failed over
interrupted), so merging again after a shard resumed brings in what it
finished. Runs finished in two databases with different points are reported
as conflicts and kept as the target had them. Dense models and the runs'
kept models (artifacts/) are copied into the folder of --into, so the merged
folder stands alone.

Options:
  --into FILE          the merged database (created if needed)
  --expect SWEEP       then check that every run of this sweep file is done in it
  --set path=value     the overrides the shards ran with (repeatable), for --expect
  --shards N           the shard count the sweep ran with: --expect names the unfinished shards

Exit status: 0 when merged (and, with --expect, every run is done); 1 for a
conflict or a failed run; 75 when runs are only unfinished (run those shards
again); 2 for bad input. With --expect, no database to merge is not an error:
the check says which shards never ran.`;

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'merge shard databases into one (idempotent; conflicts reported; --expect checks every run is done)',
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      'merge',
      argv,
      {
        into: { type: 'string' },
        expect: { type: 'string' },
        set: { type: 'string', multiple: true },
        shards: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      Infinity,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    if (!values.into) throw new PrunelabError('E_CONFIG_INVALID', 'merge: --into is required', { path: '--into', fix: usage.split('\n')[0]! });
    if (positionals.length === 0 && values.expect === undefined) {
      throw new PrunelabError('E_CONFIG_INVALID', 'merge: name at least one database to merge', { fix: usage.split('\n')[0]! });
    }
    if (values.expect === undefined && (values.set !== undefined || values.shards !== undefined)) {
      throw new PrunelabError('E_CONFIG_INVALID', 'merge: --set and --shards describe the sweep of --expect', {
        path: values.set ? '--set' : '--shards',
        fix: 'Add --expect sweep.yaml',
      });
    }
    let shards: number | undefined;
    if (values.shards !== undefined) {
      shards = Number(values.shards);
      if (!Number.isInteger(shards) || shards < 1 || shards > 100_000) {
        throw new PrunelabError('E_CONFIG_INVALID', 'merge: --shards must be an integer from 1 to 100000', {
          path: '--shards',
          value: values.shards,
          fix: 'The N of the shards i/N that ran',
        });
      }
    }
    // The sweep is checked before anything is merged, so a mistyped --expect or --set changes nothing.
    const plan = values.expect === undefined ? undefined : await planSweep({ file: values.expect, ...(values.set && { set: values.set }) });
    const r = mergeDatabases(values.into, positionals);
    out(
      `merged ${r.sources} database(s) into ${values.into}: ${r.runsAdded} run(s) added, ${r.runsReplaced} replaced by a more finished version, ` +
        `${r.pointsAdded} point(s), ${r.artifactsAdded} kept model(s), ${r.denseModels} dense model(s), ${r.conflicts.length} conflict(s)`,
    );
    if (r.denseFilesMissing > 0) err(`warning: ${r.denseFilesMissing} dense model file(s) were not found: a run that needs one trains it again`);
    if (r.artifactFilesMissing > 0)
      err(`warning: ${r.artifactFilesMissing} kept model file(s) were missing or changed in the sources: those points cannot be exported`);
    for (const c of r.conflicts) err(`conflict: run ${c.runId} from ${c.source}: ${c.reason}`);
    if (plan === undefined) return r.conflicts.length > 0 ? 1 : 0;
    const check = checkMerged({ target: values.into, plan, shards });
    for (const line of check.lines) out(line);
    return r.conflicts.length > 0 ? 1 : check.exitCode;
  },
};
