import { PrunelabError, isPlainObject } from '@prunelab/core';

/** Splits 'prune.sparsities.2' or 'prune.sparsities[2]' into keys. */
export function splitPath(path: string): Array<string | number> {
  return path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((k) => k.length > 0)
    .map((k) => (/^\d+$/.test(k) ? Number(k) : k));
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');
}

/**
 * Keys that would reach Object.prototype through plain assignment: `--set
 * __proto__.x=1` or a YAML key `__proto__` must never change what every
 * object inherits, so they are refused wherever config keys are written.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function checkKey(key: PropertyKey, where: string): void {
  if (typeof key === 'string' && RESERVED_KEYS.has(key)) {
    throw new PrunelabError('E_CONFIG_INVALID', `${JSON.stringify(key)} cannot be a config key`, {
      path: where,
      fix: 'Remove it: no prunelab setting has that name',
    });
  }
}

/** The value at `path` in plain config data (mappings and lists), or undefined where the path leaves it. */
export function valueAt(data: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = data;
  for (const k of path) {
    if (Array.isArray(cur)) cur = typeof k === 'number' ? cur[k] : undefined;
    else if (isPlainObject(cur)) cur = cur[String(k)];
    else return undefined;
  }
  return cur;
}

/** Sets a value at a dotted path, creating objects on the way (returns a new object; the input is not mutated). */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const keys = splitPath(path);
  for (const k of keys) checkKey(k, path);
  const root = structuredClone(obj);
  let cur: Record<string | number, unknown> = root;
  keys.forEach((k, i) => {
    if (i === keys.length - 1) {
      cur[k] = structuredClone(value);
      return;
    }
    const next = cur[k];
    if (!isPlainObject(next) && !Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string | number, unknown>;
  });
  return root;
}

/** Deep merge: objects merge key by key, everything else (arrays included) is replaced. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      checkKey(k, k);
      out[k] = Object.hasOwn(base, k) ? deepMerge(base[k], v) : v;
    }
    return out;
  }
  return over === undefined ? base : over;
}
