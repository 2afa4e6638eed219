import type { Scope, Structure } from '@prunelab/projection';

/** How a structure is written in the runs table: '2:4', 'block4x4', 'unit-l2', ... */
export function structureLabel(s: Structure): string {
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

export function scopeLabel(s: Scope): string {
  return typeof s === 'string' ? s : 'per-layer';
}

/**
 * A plug-in's label: its name plus the options that differ from their
 * defaults, e.g. `iterative(rate=0.2, rewind=init, reinit=true)`. Without the
 * options, a lottery ticket and its re-initialised control would share one
 * row in every comparison.
 */
export function pluginLabel(slot: unknown, name: string): string {
  const opts = Object.entries(flatten(slot)).filter(([k]) => k !== 'name');
  if (opts.length === 0) return name;
  return `${name}(${opts.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')})`;
}

/** Nested options as dotted keys, sorted: { rewind: { iteration: 5 } } is rewind.iteration=5. */
function flatten(o: unknown, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isMapping(o)) return out;
  for (const k of Object.keys(o).sort()) {
    const v = o[k];
    if (isMapping(v)) Object.assign(out, flatten(v, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

function isMapping(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
