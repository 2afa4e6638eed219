import { compareCommand } from './compare.js';
import { dataCommand } from './data.js';
import { exportCommand } from './export.js';
import { plotCommand } from './plot.js';
import { reportCommand } from './report.js';
import { resultsCommand } from './results.js';
import { listCommand } from './list.js';
import { runCommand } from './run.js';
import { schemaCommand } from './schema.js';
import { mergeCommand } from './merge.js';
import { pruneCommand } from './prune.js';
import { slurmCommand } from './slurm.js';
import type { Command } from './types.js';

export const commands: readonly Command[] = [
  runCommand,
  resultsCommand,
  compareCommand,
  plotCommand,
  reportCommand,
  exportCommand,
  pruneCommand,
  mergeCommand,
  slurmCommand,
  listCommand,
  dataCommand,
  schemaCommand,
];

export function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'prunelab: fair, reproducible comparisons of neural-network pruning strategies',
    '',
    'Usage: prunelab <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `prunelab <command> --help` for a command's options.",
  ].join('\n');
}
