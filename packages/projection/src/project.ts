/**
 * project(): the pruning step as an exact projection.
 *
 *   minimise  sum_i s_i (w_i - w'_i)^2   subject to  ||w'||_0 <= k  (+ structure)
 *
 * Removing entry i costs s_i w_i^2, so the exact minimiser keeps the k entries
 * with the largest s_i w_i^2 (Han et al. 2015 magnitude pruning is s_i = 1;
 * the OBD/OBS family, LeCun et al. 1990 and Hassibi & Stork 1993, uses a
 * diagonal Hessian s_i). `project()` receives scores that ALREADY are that
 * per-entry importance (a scorer computed them), so it keeps the k largest
 * scores; use `objectiveImportance(w, s)` to build them from raw s.
 */
import { ProjectionError } from './errors.js';
import { erkDensities } from './erk.js';
import { apportion, ceilTolerant, keepCount, roundHalfUp } from './rounding.js';
import { selectGlobal, selectPerLayer, type LayerPool } from './scopes.js';
import { availableCount } from './select.js';
import { blockAvail, blockExpand, blockGrid, blockScores } from './structures/block.js';
import { matrixOf } from './structures/layout.js';
import { nmCandidates } from './structures/nm.js';
import type { Reduce } from './structures/reduce.js';
import { normalizeLayerL2, unitAvail, unitExpand, unitScores } from './structures/unit.js';
import type { LayerReport, LayerScores, ProjectionResult, ProjectionSpec, Structure } from './types.js';
import { assertFinite, validateLayers, validateNames, validateSpec, validateStructureFits, type ShapedLayer } from './validate.js';

/**
 * Keeps the entries (or groups) with the largest scores so that the number of
 * kept prunable entries equals the (feasible) budget exactly.
 *
 * - Budget: round((1 - sparsity) * units), halves up (see rounding.ts); units are
 *   entries, or groups for block/unit structures. Per-layer scopes round per layer;
 *   ERK apportions the overall budget by largest remainder.
 * - Ties: among equal scores the lower (layer index, flat index) is kept first.
 * - Guard: no prunable layer drops below max(1, ceil(minDensity * units)) units
 *   unless `allowEmptyLayers`; the total is still met exactly.
 * - `previous`: the new mask is a subset of it unless `allowRegrowth`.
 */
export function project(layers: readonly LayerScores[], spec: ProjectionSpec): ProjectionResult {
  return solve(
    layers.map((l) => ({ name: l.name, shape: l.shape, values: l.scores })),
    spec,
    'scores',
  );
}

interface Prepared {
  pool: LayerPool;
  layer: ShapedLayer;
  unitSize: number;
  /** The final entry mask, built from the pool's unit decisions. */
  entryMask: () => Uint8Array;
}

/** Shared by project() and projectWeights(); `sumsq` scores groups by sum of s^2 (s = |w|). */
export function solve(layers: readonly ShapedLayer[], spec: ProjectionSpec, what: 'scores' | 'weights', groupReduce?: 'sumsq'): ProjectionResult {
  validateSpec(spec);
  const structure: Structure = spec.structure ?? { kind: 'unstructured' };
  validateLayers(layers, structure, what);
  const { excluded, previous } = validateNames(layers, spec);
  const warnings: string[] = [];
  const prunable = layers.filter((l) => !excluded.has(l.name));
  for (const l of prunable) validateStructureFits(l, structure);
  // Unstructured scores are checked inside the selection (for free on the fast
  // path, by `checkFinite` before the general one); other kinds read every score first.
  let checked = false;
  const checkFinite = (): void => {
    if (checked) return;
    for (const l of prunable) assertFinite(l, what);
    checked = true;
  };
  if (structure.kind !== 'unstructured') checkFinite();

  const minDensity = spec.minDensity ?? 0;
  const baseFloor = spec.allowEmptyLayers === true ? 0 : 1;
  const prepared = prunable.map((l) => {
    const prev = spec.allowRegrowth === true ? null : (previous.get(l.name) ?? null);
    const p = prepare(l, structure, prev, groupReduce);
    p.pool.floor = Math.min(p.pool.available, Math.max(baseFloor, ceilTolerant(minDensity * p.pool.units)));
    if (p.pool.available < Math.max(baseFloor, ceilTolerant(minDensity * p.pool.units)))
      warnings.push(
        `layer "${l.name}": only ${p.pool.available} ${unitWord(structure)} may be kept (structure/previous mask), below the floor ${Math.max(baseFloor, ceilTolerant(minDensity * p.pool.units))}`,
      );
    return p;
  });
  const pools = prepared.map((p) => p.pool);
  const scope = spec.scope ?? 'global';
  const prunableEntries = prunable.reduce((s, l) => s + l.values.length, 0);
  let requestedBudget: number;
  let counts: number[];

  if (scope === 'global') {
    requestedBudget = keepCount(spec.sparsity, prunableEntries);
    const totalUnits = pools.reduce((s, p) => s + p.units, 0);
    const requested = keepCount(spec.sparsity, totalUnits);
    const available = pools.reduce((s, p) => s + p.available, 0);
    const k = Math.min(requested, available);
    if (k < requested)
      warnings.push(`global budget of ${requested} ${unitWord(structure)} capped at the ${available} that may be kept (${capReason(structure, spec)})`);
    const floors = pools.reduce((s, p) => s + p.floor, 0);
    if (floors > k)
      throw new ProjectionError(
        'E_PROJECTION_SPARSITY',
        `sparsity ${spec.sparsity} keeps ${k} ${unitWord(structure)}, fewer than the ${floors} the per-layer floors need (1 per layer unless allowEmptyLayers, minDensity ${minDensity}); lower the sparsity or set allowEmptyLayers`,
        { value: spec.sparsity },
      );
    const r = selectGlobal(pools, k, checkFinite);
    counts = r.counts;
    for (const i of r.pinned) {
      const p = pools[i]!;
      warnings.push(
        `layer "${p.name}": global ranking left it under its floor; kept ${p.floor} ${unitWord(structure)} (${spec.allowEmptyLayers === true ? '' : 'at least 1, '}minDensity ${minDensity}), taken from the lowest-ranked kept units elsewhere`,
      );
    }
  } else {
    let ks: number[];
    if (scope === 'erk') {
      requestedBudget = keepCount(spec.sparsity, prunableEntries);
      const d = erkDensities(
        prunable.map((l) => l.shape),
        spec.sparsity,
      );
      const targets = pools.map((p, i) => d[i]! * p.units);
      const totalUnits = pools.reduce((s, p) => s + p.units, 0);
      const total = Math.min(totalUnits, roundHalfUp(targets.reduce((s, x) => s + x, 0)));
      ks = apportion(
        targets,
        pools.map((p) => p.units),
        total,
      );
    } else {
      const sparsities = prunable.map((l) => (scope === 'layerwise' ? spec.sparsity : (scope.perLayer[l.name] ?? spec.sparsity)));
      requestedBudget = prunable.reduce((s, l, i) => s + keepCount(sparsities[i]!, l.values.length), 0);
      ks = pools.map((p, i) => keepCount(sparsities[i]!, p.units));
    }
    ks = ks.map((k, i) => {
      const p = pools[i]!;
      if (k < p.floor) {
        warnings.push(
          `layer "${p.name}": budget of ${k} ${unitWord(structure)} raised to the floor ${p.floor} (at least 1 unless allowEmptyLayers; minDensity ${minDensity})`,
        );
        return p.floor;
      }
      if (k > p.available) {
        warnings.push(`layer "${p.name}": budget of ${k} ${unitWord(structure)} capped at the ${p.available} that may be kept (${capReason(structure, spec)})`);
        return p.available;
      }
      return k;
    });
    counts = selectPerLayer(pools, ks, checkFinite);
  }

  // Assemble the output in input order.
  const masks: { name: string; mask: Uint8Array }[] = [];
  const perLayer: Record<string, number> = {};
  const reports: Record<string, LayerReport> = {};
  const byName = new Map(prepared.map((p, i) => [p.layer.name, { p, count: counts[i]! }]));
  let kept = 0;
  for (const l of layers) {
    const entry = byName.get(l.name);
    if (entry === undefined) {
      masks.push({ name: l.name, mask: new Uint8Array(l.values.length).fill(1) });
      perLayer[l.name] = 0;
      continue;
    }
    const { p, count } = entry;
    const mask = p.entryMask();
    const keptHere = count * p.unitSize;
    kept += keptHere;
    const sparsity = 1 - keptHere / l.values.length;
    perLayer[l.name] = sparsity;
    reports[l.name] = { total: l.values.length, kept: keptHere, sparsity, units: p.pool.units, keptUnits: count, unitSize: p.unitSize };
    masks.push({ name: l.name, mask });
  }
  if (kept !== requestedBudget && (structure.kind === 'block' || structure.kind === 'unit'))
    warnings.push(`budget rounded to whole ${unitWord(structure)}: requested ${requestedBudget} entries, kept ${kept}`);
  return {
    masks,
    achieved: { overall: prunableEntries === 0 ? 0 : 1 - kept / prunableEntries, perLayer },
    kept,
    budget: kept,
    requestedBudget,
    prunable: prunableEntries,
    layers: reports,
    excluded: layers.filter((l) => excluded.has(l.name)).map((l) => l.name),
    warnings,
  };
}

function prepare(l: ShapedLayer, s: Structure, prev: Uint8Array | null, groupReduce: 'sumsq' | undefined): Prepared {
  const n = l.values.length;
  const base = { name: l.name, floor: 0 };
  switch (s.kind) {
    case 'unstructured': {
      const pool: LayerPool = { ...base, values: l.values, avail: prev, out: new Uint8Array(n), units: n, available: 0 };
      pool.available = availableCount(pool);
      return { pool, layer: l, unitSize: 1, entryMask: () => pool.out };
    }
    case 'n:m': {
      const out = new Uint8Array(n);
      // Candidates are written into the output mask itself, which then serves as
      // the availability mask: no extra memory beyond the mask.
      const mat = matrixOf(l.shape);
      const available = nmCandidates(l.values, mat, s.n, s.m, prev, out);
      const restore = (): void => {
        nmCandidates(l.values, mat, s.n, s.m, prev, out);
      };
      const pool: LayerPool = { ...base, values: l.values, avail: out, out, units: n, available, restore };
      return { pool, layer: l, unitSize: 1, entryMask: () => out };
    }
    case 'block': {
      const mat = matrixOf(l.shape);
      const g = blockGrid(mat, s.rows, s.cols);
      const pool: LayerPool = {
        ...base,
        values: blockScores(l.values, mat, g, groupReduce ?? 'sum'),
        avail: prev === null ? null : blockAvail(prev, mat, g),
        out: new Uint8Array(g.count),
        units: g.count,
        available: 0,
      };
      pool.available = availableCount(pool);
      const entryMask = (): Uint8Array => {
        const mask = new Uint8Array(n);
        blockExpand(pool.out, mat, g, mask);
        return mask;
      };
      return { pool, layer: l, unitSize: s.rows * s.cols, entryMask };
    }
    case 'unit': {
      const mat = matrixOf(l.shape);
      const reduce: Reduce = groupReduce ?? s.reduce;
      const values = unitScores(l.values, mat, reduce);
      // projectWeights (groupReduce set) is the Euclidean projection: no normalisation there.
      if (groupReduce === undefined && s.normalize === 'layer-l2') normalizeLayerL2(values);
      const pool: LayerPool = {
        ...base,
        values,
        avail: prev === null ? null : unitAvail(prev, mat),
        out: new Uint8Array(mat.cols),
        units: mat.cols,
        available: 0,
      };
      pool.available = availableCount(pool);
      const entryMask = (): Uint8Array => {
        const mask = new Uint8Array(n);
        unitExpand(pool.out, mat, mask);
        return mask;
      };
      return { pool, layer: l, unitSize: mat.rows, entryMask };
    }
  }
}

function unitWord(s: Structure): string {
  return s.kind === 'block' ? 'blocks' : s.kind === 'unit' ? 'units' : 'entries';
}

function capReason(s: Structure, spec: ProjectionSpec): string {
  const parts: string[] = [];
  if (s.kind === 'n:m') parts.push(`${s.n}:${s.m} keeps at most ${s.n} of every ${s.m}`);
  if (spec.previous !== undefined && spec.allowRegrowth !== true) parts.push('pruned entries of previous do not regrow');
  return parts.join('; ') || 'availability';
}
