import { artifactBytes } from '@prunelab/models';
import { structureRegistry } from '@prunelab/pruning';
import type { PreparedRun } from './prepare.js';

export interface ArtifactEstimate {
  readonly files: number;
  readonly bytes: number;
}

/**
 * The disk space the runs' artifacts will take (`--dry-run` states it): per
 * run, `final` keeps one per target (one per round for schedules that run
 * more rounds than targets, e.g. iterative), `all` also the pruned point of
 * each round and the dense model, which runs sharing a dense model share (one
 * file: content-addressed). Each artifact stores every kernel as a bitset plus
 * its kept values at the point's sparsity (see artifactBytes), biases whole;
 * excluded layers (and a unit structure's output layer) stay dense.
 * Round sparsities of a schedule with more rounds than targets are taken as
 * geometric steps up to the largest target (iterative's own rule, up to its
 * rate), and the sparsity is spread evenly over the prunable layers, so the
 * figure is an estimate, not a bound.
 */
export function estimateArtifacts(runs: readonly PreparedRun[]): ArtifactEstimate {
  let files = 0;
  let bytes = 0;
  const denseSeen = new Set<string>();
  for (const r of runs) {
    const policy = r.config.artifacts;
    if (policy === 'none') continue;
    // Excluded layers, and under a unit structure the output layer (keepOutputUnits), stay dense.
    const unit = structureRegistry.has(r.config.prune.structure.kind) && structureRegistry.get(r.config.prune.structure.kind).granularity === 'unit';
    const dense = new Set([...r.config.prune.exclude, ...(unit ? [r.layout.prunable.at(-1) ?? ''] : [])]);
    const size = (sparsity: number) =>
      artifactBytes(
        r.layout.arrays.map((a) => (a.kernelOf === undefined ? a : { ...a, density: dense.has(a.kernelOf) ? 1 : 1 - sparsity })),
        r.dataset.shape,
        r.dataset.classes,
      );
    const levels = roundLevels(r.config.prune.sparsities, r.budget.rounds);
    for (const s of levels) {
      files++;
      bytes += size(s);
    }
    if (policy !== 'all') continue;
    // The pruned point of each round too, when fine-tuning follows it (else it is the round's last point)...
    if (r.budget.steps > 0) {
      for (const s of levels) {
        files++;
        bytes += size(s);
      }
    }
    // ...and the dense point, the same file for every run of one dense model.
    if (!denseSeen.has(r.denseKey)) {
      denseSeen.add(r.denseKey);
      files++;
      bytes += size(0);
    }
  }
  return { files, bytes };
}

/** The sparsity of each evaluated round: the targets, or `rounds` geometric steps up to the largest. */
function roundLevels(targets: readonly number[], rounds: number): number[] {
  if (rounds === targets.length) return [...targets];
  const max = Math.max(0, ...targets);
  return Array.from({ length: rounds }, (_, i) => 1 - (1 - max) ** ((i + 1) / rounds));
}
