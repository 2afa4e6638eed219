import { PrunelabError } from '@prunelab/core';
import { mergeDatabases } from '@prunelab/store';
import { parse } from './args.js';
import { err, out } from '../output.js';
import type { Command } from './types.js';

const usage = `prunelab merge a.sqlite b.sqlite ... --into all.sqlite

Merges shard databases. Idempotent: merging the same file again changes
nothing. Runs finished in two databases with different points are reported
as conflicts and kept as the target had them.`;

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'merge shard databases into one (idempotent; conflicts reported)',
  usage,
  async run(argv) {
    const { values, positionals } = parse('merge', argv, { into: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, Infinity);
    if (values.help) {
      out(usage);
      return 0;
    }
    if (!values.into) throw new PrunelabError('E_CONFIG_INVALID', 'merge: --into is required', { path: '--into', fix: usage.split('\n')[0]! });
    if (positionals.length === 0) throw new PrunelabError('E_CONFIG_INVALID', 'merge: name at least one database to merge', { fix: usage.split('\n')[0]! });
    const r = mergeDatabases(values.into, positionals);
    out(`merged ${r.sources} database(s) into ${values.into}: ${r.runsAdded} run(s) added, ${r.runsReplaced} replaced by a more finished version, ${r.pointsAdded} point(s), ${r.denseModels} dense model(s), ${r.conflicts.length} conflict(s)`);
    for (const c of r.conflicts) err(`conflict: run ${c.runId} from ${c.source}: ${c.reason}`);
    return r.conflicts.length > 0 ? 1 : 0;
  },
};
