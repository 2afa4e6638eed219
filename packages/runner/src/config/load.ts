import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { z } from 'zod';
import { PrunelabError, isPlainObject, unknownNameError, type ErrorDetails } from '@prunelab/core';
import { checkSweepName } from '@prunelab/store';
import { scheduleRegistry, structureRegistry } from '@prunelab/pruning';
import { scorerRegistry } from '@prunelab/scorers';
import { applyAxes, expandAxes, randomAxisSchema, type Axes } from './expand.js';
import { deepMerge, formatPath, setPath, splitPath, valueAt } from './paths.js';
import { runConfigSchema, sweepSchema, SWEEP_ONLY_KEYS, type RunConfig, type UnknownName } from './schema.js';
import { configFileProblem, parseValue, readYamlFile, type YamlFile } from './yaml-file.js';
import { runLabels, type RunLabels } from './run-labels.js';
import { canonicalConfig } from './identity.js';

export interface PlannedRun {
  readonly config: RunConfig;
  readonly axes: Axes;
  readonly labels: RunLabels;
}

export interface LoadedSweep {
  readonly name: string;
  readonly file: string;
  /** The sweep file's text, stored with the sweep. */
  readonly yaml: string;
  readonly runs: readonly PlannedRun[];
  /**
   * Where a key of a run's config is written (file:line:col), for errors found
   * after loading, e.g. when the model is built: a value that came from an
   * axis is reported at the axis.
   */
  locate(path: ReadonlyArray<PropertyKey>, axes?: Axes): ErrorDetails;
}

export interface LoadOptions {
  /** Hydra-style overrides, `path=value`, applied to the sweep before expansion. */
  readonly set?: readonly string[];
  /**
   * Where `extends:` also looks, after the including file's own folder and
   * before the defaults (see extendsSearchPath).
   */
  readonly configsDir?: string;
}

/**
 * The project's configs/ folder, found from where prunelab is installed (this
 * file is packages/runner/{src,dist}/config/load.*), never from the working
 * directory: `extends: datasets/mnist.yaml` means the same file wherever the
 * command runs.
 */
const PROJECT_CONFIGS_DIR = resolve(import.meta.dirname, '../../../../configs');

const fullSweepSchema = sweepSchema.extend({ random: randomAxisSchema.optional() });

/**
 * Reads a sweep file, resolves `extends:`, applies `--set` overrides, expands
 * the axes and validates every run, plug-in options included. Everything that
 * can be wrong with the input is found here, before anything is written.
 */
export function loadSweep(file: string, options: LoadOptions = {}): LoadedSweep {
  const main = readYamlFile(file);
  if (!isPlainObject(main.data)) {
    throw new PrunelabError('E_CONFIG_INVALID', `a sweep file must be a mapping of keys to values, not ${describeValue(main.data)}`, {
      ...where(main, []),
      fix: 'See experiments/quickstart.yaml for the format',
    });
  }
  if (Object.keys(main.data).length === 0) {
    throw new PrunelabError('E_CONFIG_INVALID', 'the sweep file is empty', {
      file,
      fix: 'Give at least dataset, model, scorer and prune.sparsities; see experiments/quickstart.yaml',
    });
  }
  const searchPath = extendsSearchPath(file, options.configsDir);
  let data: Record<string, unknown> = resolveExtends(main, searchPath, [resolve(file)]);
  for (const assignment of options.set ?? []) data = applyOverride(data, assignment);

  const sweep = validate(fullSweepSchema, data, main, []);
  const base: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) if (!(SWEEP_ONLY_KEYS as readonly string[]).includes(k) && k !== 'random') base[k] = v;

  const name = sweep.name ?? checkSweepName(basename(file, extname(file)), { file, path: 'name', fix: 'Rename the file, or set name: in it' });
  const axes = expandAxes(sweep, (path) => where(main, path));
  const runs = axes.map((a) => {
    const raw = applyAxes(base, a);
    const config = validateRun(raw, a, main);
    return { config, axes: a, labels: runLabels(config, canonicalConfig(config)) };
  });
  return { name, file, yaml: main.text, runs, locate: (path, a = {}) => locateKey(main, path, a) };
}

/**
 * Folders `extends:` searches after the including file's own: the configs/
 * beside the sweep's folder (a project laid out as experiments/ + configs/),
 * the one given in the options, and the project's own.
 */
function extendsSearchPath(file: string, configsDir?: string): string[] {
  const dirs = [resolve(dirname(file), '..', 'configs'), ...(configsDir !== undefined ? [resolve(configsDir)] : []), PROJECT_CONFIGS_DIR];
  return [...new Set(dirs)].filter(isDirectory);
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  return `the ${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
}

function resolveExtends(y: YamlFile, searchPath: readonly string[], chain: string[]): Record<string, unknown> {
  const data = y.data as Record<string, unknown>;
  const ext = data['extends'];
  const list = ext === undefined ? [] : Array.isArray(ext) ? ext : [ext];
  let merged: unknown = {};
  list.forEach((entry, i) => {
    const key: PropertyKey[] = Array.isArray(ext) ? ['extends', i] : ['extends'];
    const at = { ...where(y, key), path: formatPath(key) };
    if (typeof entry !== 'string' || entry.length === 0) {
      throw new PrunelabError('E_CONFIG_INVALID', 'extends entries must be file paths', {
        ...at,
        value: entry,
        fix: 'Example: extends: [datasets/mnist.yaml]',
      });
    }
    const tried: string[] = [];
    const target = findBase(entry, dirname(y.file), searchPath, tried);
    if (!target) {
      throw new PrunelabError('E_FILE_NOT_FOUND', `base config ${JSON.stringify(entry)} not found; looked for ${tried.join(', ')}`, {
        ...at,
        fix: `Give a path relative to ${dirname(y.file)}, or one under ${searchPath.length > 0 ? searchPath.join(' or ') : "a configs/ folder beside the sweep's folder"}`,
      });
    }
    const problem = configFileProblem(target);
    if (problem !== undefined) {
      throw new PrunelabError('E_CONFIG_INVALID', `base config ${target} ${problem}`, { ...at, fix: 'Name a YAML file' });
    }
    if (chain.includes(target)) {
      throw new PrunelabError('E_CONFIG_INVALID', `extends cycle: ${[...chain, target].join(' -> ')}`, {
        ...at,
        fix: 'Remove one of the extends entries that form the cycle',
      });
    }
    const base = readYamlFile(target);
    if (!isPlainObject(base.data)) {
      throw new PrunelabError('E_CONFIG_INVALID', `base config ${target} must be a mapping of keys to values, not ${describeValue(base.data)}`, {
        ...at,
        fix: 'A base config holds run keys, e.g. dataset: { name: mnist }',
      });
    }
    merged = deepMerge(merged, resolveExtends(base, searchPath, [...chain, target]));
  });
  const own = { ...data };
  delete own['extends'];
  return deepMerge(merged, own) as Record<string, unknown>;
}

/** The first candidate that exists (as given, or with .yaml / .yml added); every path tried is pushed to `tried`. */
function findBase(entry: string, fromDir: string, searchPath: readonly string[], tried: string[]): string | undefined {
  const candidates = isAbsolute(entry) ? [entry] : [join(fromDir, entry), ...searchPath.map((d) => join(d, entry))];
  for (const c of [...new Set(candidates.map((c) => resolve(c)))]) {
    tried.push(c);
    for (const f of [c, `${c}.yaml`, `${c}.yml`]) if (existsSync(f)) return resolve(f);
  }
  return undefined;
}

function applyOverride(data: Record<string, unknown>, assignment: string): Record<string, unknown> {
  const eq = assignment.indexOf('=');
  if (eq <= 0) {
    throw new PrunelabError('E_CONFIG_INVALID', `--set expects path=value`, { path: '--set', value: assignment, fix: 'Example: --set train.lr=0.01' });
  }
  const path = assignment.slice(0, eq).trim();
  const text = assignment.slice(eq + 1);
  const value = parseValue(text, assignment);
  if (splitPath(path).length === 0)
    throw new PrunelabError('E_CONFIG_INVALID', 'empty --set path', { path: '--set', value: assignment, fix: 'Example: --set train.lr=0.01' });
  if (splitPath(path)[0] === 'extends') {
    // Base files are merged before overrides apply, so this would be silently ignored.
    throw new PrunelabError('E_CONFIG_INVALID', '--set cannot change extends (base files are read before overrides)', {
      path: '--set',
      value: assignment,
      fix: 'Edit extends: in the sweep file, or --set the keys themselves',
    });
  }
  return setPath(data, path, value);
}

/** A run config key's position: at the axis when an axis sets it, else where the file writes it. */
function locateKey(y: YamlFile, path: ReadonlyArray<PropertyKey>, axes: Axes): ErrorDetails {
  const key = formatPath(path);
  const axisPath = Object.keys(axes).find((a) => key === a || key.startsWith(`${a}.`) || key.startsWith(`${a}[`) || a.startsWith(`${key}.`));
  return axisPath ? locateAxis(y, axisPath) : where(y, path);
}

function where(y: YamlFile, path: ReadonlyArray<PropertyKey>): ErrorDetails {
  const pos = y.locate(path);
  return { file: y.file, ...(pos && { line: pos.line, column: pos.column }) };
}

function validate<S extends z.ZodType>(schema: S, data: unknown, y: YamlFile, prefix: PropertyKey[], axes?: Axes): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issue = unionBranch(r.error.issues[0]!);
  const path = [...prefix, ...issue.path];
  throw issueError(issue, path, data, y, axes);
}

/**
 * zod reports a value that fails every branch of a union as "Invalid input" at
 * the union. Where exactly one branch got past the value's type (its issue is
 * inside the value: `train: {epochs: two}` against `'none' | {epochs: number}`),
 * that branch's issue is the one the user needs, at its full path.
 */
function unionBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union') return issue;
  const inside = issue.errors.flatMap((branch) => (branch[0] !== undefined && branch[0].path.length > 0 ? [branch[0]] : []));
  if (inside.length !== 1) return issue;
  return unionBranch({ ...inside[0]!, path: [...issue.path, ...inside[0]!.path] } as z.core.$ZodIssue);
}

function issueError(issue: z.core.$ZodIssue, path: PropertyKey[], data: unknown, y: YamlFile, axes?: Axes): PrunelabError {
  // An unknown key is shown under its parent, but located at the key itself (or at the axis that sets it).
  const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  // A plug-in option's issue carries its value (see the config schema): the file may have written a shorthand.
  const value = unknown !== undefined ? undefined : 'given' in issue ? issue.given : valueAt(data, issue.path);
  const key = formatPath(path);
  const located = formatPath(unknown === undefined ? path : [...path, unknown]);
  // A value that came from an axis is reported at the axis in the file.
  const axisPath =
    axes && Object.keys(axes).find((a) => located === a || located.startsWith(`${a}.`) || located.startsWith(`${a}[`) || a.startsWith(`${located}.`));
  const loc = axisPath ? locateAxis(y, axisPath) : where(y, unknown === undefined ? path : [...path, unknown]);
  const unknownName = issue.code === 'custom' ? unknownNameOf(issue.params?.['unknownName']) : undefined;
  if (unknownName) {
    const e = unknownNameError(unknownName.kind, unknownName.name, unknownName.valid, { ...loc, path: key });
    return unknownName.also === undefined ? e : new PrunelabError(e.code, e.problem, { ...e.details, fix: `${e.details.fix ?? ''} (or ${unknownName.also})` });
  }
  let problem = issue.message;
  let fix: string | undefined;
  if (issue.code === 'unrecognized_keys') {
    problem = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    fix = 'Remove it, or check the spelling against `prunelab schema`';
  } else if (value === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_union')) {
    // zod says "Invalid input" for a missing plug-in slot (a union): say what is missing.
    problem = 'required, but missing';
    fix = `Add ${key}${REQUIRED_EXAMPLES[key] ? `, e.g. ${REQUIRED_EXAMPLES[key]}` : ''}`;
  } else if (issue.code === 'custom' && typeof issue.params?.['fix'] === 'string') {
    fix = issue.params['fix'];
  } else if (issue.code === 'too_big' || issue.code === 'too_small') {
    fix = 'See `prunelab schema` for the allowed range';
  } else if (issue.code === 'invalid_value') {
    fix = `Use one of: ${issue.values.map((v) => String(v)).join(', ')}`;
  } else if (issue.code === 'invalid_type') {
    fix = TYPE_FIXES[issue.expected] ?? `Give a ${issue.expected}`;
  } else if (issue.code === 'invalid_format') {
    fix = key === 'name' ? 'Rename it, e.g. name: my-sweep' : 'See `prunelab schema` for the format';
  }
  // Every message states a fix: what the key accepts is in the schema.
  fix ??= `See \`prunelab schema\` for what ${key || 'a sweep file'} accepts`;
  return new PrunelabError('E_CONFIG_INVALID', problem, { ...loc, path: key || '(top level)', ...(value !== undefined && { value }), ...(fix && { fix }) });
}

/** What to write instead of a value of the wrong type (zod's expected type). */
const TYPE_FIXES: Readonly<Record<string, string>> = {
  number: 'Write a finite number, without quotes',
  int: 'Write a whole number, without quotes',
  string: 'Write a string',
  boolean: 'Write true or false',
  array: 'Write a list, e.g. [a, b]',
  record: 'Write a mapping, e.g. { key: value }',
  object: 'Write a mapping, e.g. { key: value }',
};

/** What to write for a missing required key. */
const REQUIRED_EXAMPLES: Readonly<Record<string, string>> = {
  dataset: 'dataset: mnist (prunelab list datasets)',
  model: 'model: { name: mlp, preset: lenet-300-100 } (prunelab list models)',
  scorer: 'scorer: magnitude (prunelab list scorers)',
  prune: 'prune: { sparsities: [0.5, 0.9] }',
  'prune.sparsities': 'sparsities: [0.5, 0.9] under prune:',
};

function locateAxis(y: YamlFile, axisPath: string): ErrorDetails {
  for (const section of ['grid', 'zip']) {
    const pos = y.locate([section, axisPath]);
    const data = y.data as Record<string, Record<string, unknown> | undefined>;
    if (pos && data[section] && axisPath in data[section]!) return { file: y.file, line: pos.line, column: pos.column };
  }
  return where(y, splitPath(axisPath));
}

/** The unknown-name record the config schema puts on its issue, if this is one. */
function unknownNameOf(params: unknown): UnknownName | undefined {
  if (!isPlainObject(params)) return undefined;
  const { kind, name, valid, also } = params;
  if (typeof kind !== 'string' || typeof name !== 'string' || !Array.isArray(valid)) return undefined;
  return { kind, name, valid: valid.filter((v) => typeof v === 'string'), ...(typeof also === 'string' && { also }) };
}

/**
 * A model's `path` option (a tfjs model.json, or its folder) is a file path
 * relative to the sweep file's folder, as `extends:` is, never to the working
 * directory: it is resolved here, so the run's config names the file
 * absolutely wherever the command runs, and so does its id (which an absolute
 * path keeps unchanged).
 */
function withModelPath(config: RunConfig, sweepFile: string): RunConfig {
  const path = config.model['path'];
  if (typeof path !== 'string' || isAbsolute(path)) return config;
  return { ...config, model: { ...config.model, path: resolve(dirname(sweepFile), path) } };
}

/**
 * Validates one expanded run: the schema checks every value, plug-in options
 * included (each against its registry entry's schema), so the config that
 * comes out is what the workers use, unparsed. What no single slot can check
 * is checked here.
 */
function validateRun(raw: Record<string, unknown>, axes: Axes, y: YamlFile): RunConfig {
  const config = withModelPath(validate(runConfigSchema, raw, y, [], axes), y.file);
  // A scorer defined only per unit cannot drive unstructured pruning, and vice versa.
  const scorer = scorerRegistry.get(config.scorer.name);
  const kind = config.prune.structure.kind;
  const needs = structureRegistry.get(kind).granularity;
  if (!scorer.granularities.includes(needs)) {
    const axisPath = Object.keys(axes).find((a) => a === 'scorer' || a.startsWith('scorer.') || a.startsWith('prune'));
    throw new PrunelabError(
      'E_CONFIG_INVALID',
      `scorer ${JSON.stringify(scorer.name)} scores ${scorer.granularities.join(' and ')}s, but structure ${JSON.stringify(kind)} needs ${needs} scores`,
      {
        ...(axisPath ? locateAxis(y, axisPath) : where(y, ['scorer'])),
        path: 'scorer',
        fix:
          needs === 'unit'
            ? 'Use a scorer that supports units (prunelab list scorers)'
            : 'Use structure: { kind: unit } with this scorer, or a weight-level scorer',
      },
    );
  }
  const { name, ...options } = config.schedule;
  const conflict = scheduleRegistry.get(name).conflict?.(options, config.prune);
  if (conflict) {
    const path = ['schedule', ...conflict.key];
    throw new PrunelabError('E_CONFIG_INVALID', conflict.problem, { ...locateKey(y, path, axes), path: formatPath(path), fix: conflict.fix });
  }
  return config;
}
