import { sweepCurve, type Db, type Filter } from '@prunelab/store';
import type { Listing } from './listing.js';
import { requireSweep } from './runs.js';
import { resolveWhere } from './where.js';

const COLUMNS = [
  'run_id', 'dataset', 'model', 'scorer', 'structure', 'scope', 'schedule', 'seed', 'phase', 'target_sparsity', 'sparsity',
  'accuracy', 'loss', 'robust_accuracy', 'nonzero_params', 'prunable_params', 'total_params', 'nonzero_total', 'compression',
  'macs_dense', 'macs_effective', 'per_layer_json',
] as const;

/** The raw curve points of a sweep's finished runs (the curve_points rows plus per-layer sparsity), for export. */
export function pointsListing(db: Db, sweep: string, where: Filter = []): Listing {
  requireSweep(db, sweep);
  return {
    columns: COLUMNS,
    rows: sweepCurve(db, sweep, resolveWhere(db, sweep, where)).map((r) => Object.fromEntries(COLUMNS.map((c) => [c, r[c]]))),
  };
}
