import type { Structure } from '@prunelab/projection';
import type { RunConfig } from './schema.js';

/** Short strings for the `runs` table columns that curve_points exposes. */
export interface RunLabels {
  readonly dataset: string;
  readonly model: string;
  readonly scorer: string;
  readonly structure: string;
  readonly scope: string;
  readonly schedule: string;
}

export function structureLabel(structure: RunConfig['prune']['structure']): string {
  // After loadSweep the structure is a validated projection spec.
  const s = structure as Structure;
  switch (s.kind) {
    case 'unstructured':
      return 'unstructured';
    case 'n:m':
      return `${s.n}:${s.m}`;
    case 'block':
      return `block${s.rows}x${s.cols}`;
    case 'unit':
      return `unit-${s.reduce}`;
  }
}

export function scopeLabel(s: RunConfig['prune']['scope']): string {
  return typeof s === 'string' ? s : 'per-layer';
}

export function runLabels(c: RunConfig): RunLabels {
  const preset = (c.model as Record<string, unknown>)['preset'];
  return {
    dataset: c.dataset.name,
    model: typeof preset === 'string' ? `${c.model.name}:${preset}` : c.model.name,
    scorer: c.scorer.name,
    structure: structureLabel(c.prune.structure),
    scope: scopeLabel(c.prune.scope),
    schedule: c.schedule.name,
  };
}
