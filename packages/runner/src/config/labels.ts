import type { Structure } from '@prunelab/projection';
import type { RunLabelColumns } from '@prunelab/store';
import type { RunConfig } from './schema.js';

/** Short strings for the `runs` table columns that curve_points exposes. */
export type RunLabels = Readonly<RunLabelColumns>;

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
      return `unit-${s.reduce}${s.normalize === 'layer-l2' ? '-layernorm' : ''}`;
  }
}

export function scopeLabel(s: RunConfig['prune']['scope']): string {
  return typeof s === 'string' ? s : 'per-layer';
}

/**
 * A plug-in's label: its name plus the options that differ from their
 * defaults, e.g. `iterative(rate=0.2, rewind=init, reinit=true)`. Without the
 * options, a lottery ticket and its re-initialised control would share one
 * row in every comparison.
 */
export function pluginLabel(slot: Record<string, unknown> | undefined, name: string): string {
  const opts = Object.entries(flatten(slot ?? {})).filter(([k]) => k !== 'name');
  if (opts.length === 0) return name;
  return `${name}(${opts.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')})`;
}

function flatten(o: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) {
    const v = o[k];
    if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

/** Labels for the `runs` columns; `canonical` is the run's config with defaults stripped. */
export function runLabels(c: RunConfig, canonical?: Record<string, unknown>): RunLabels {
  const preset = (c.model as Record<string, unknown>)['preset'];
  const slot = (k: string) => canonical?.[k] as Record<string, unknown> | undefined;
  return {
    dataset: c.dataset.name,
    model: typeof preset === 'string' ? `${c.model.name}:${preset}` : c.model.name,
    scorer: pluginLabel(slot('scorer'), c.scorer.name),
    structure: structureLabel(c.prune.structure),
    scope: scopeLabel(c.prune.scope),
    schedule: pluginLabel(slot('schedule'), c.schedule.name),
  };
}
