import type { RunLabelColumns } from '@prunelab/store';
import { scopeLabel } from './labels.js';
import { PLUGINS } from './plugins.js';
import type { RunConfig } from './schema.js';

/** Short strings for the `runs` table columns that curve_points exposes. */
export type RunLabels = Readonly<RunLabelColumns>;

/** Labels for the `runs` columns, each as its slot makes it; `canonical` is the run's config with defaults stripped. */
export function runLabels(c: RunConfig, canonical: Readonly<Record<string, unknown>> = {}): RunLabels {
  return {
    dataset: PLUGINS.dataset.label(c.dataset, canonical['dataset']),
    model: PLUGINS.model.label(c.model, canonical['model']),
    scorer: PLUGINS.scorer.label(c.scorer, canonical['scorer']),
    structure: PLUGINS.structure.label(c.prune.structure),
    scope: scopeLabel(c.prune.scope),
    schedule: PLUGINS.schedule.label(c.schedule, canonical['schedule']),
  };
}
