import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted, `undefined` dropped, so that two configs
 * that mean the same thing serialise to the same bytes. After TanStack Query's
 * `hashKey` (packages/query-core/src/utils.ts).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, val: unknown) => {
    if (isPlainObject(val)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(val).sort()) {
        const v = val[k];
        if (v !== undefined) out[k] = v;
      }
      return out;
    }
    if (typeof val === 'number' && !Number.isFinite(val)) {
      throw new TypeError(`canonicalJson: non-finite number ${val}`);
    }
    return val;
  });
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/**
 * Removes every leaf equal to its default, recursively, so that adding a new
 * option with a default never renames existing runs (open_lth's `desc.py`).
 * Arrays are compared whole.
 */
export function stripDefaults(value: unknown, defaults: unknown): unknown {
  if (isPlainObject(value) && isPlainObject(defaults)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const stripped = k in defaults ? stripDefaults(v, defaults[k]) : v;
      if (stripped !== undefined) out[k] = stripped;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return canonicalJson(value) === canonicalJson(defaults) ? undefined : value;
}

/** Hex SHA-256 of the canonical JSON, truncated to `length` characters. */
export function contentHash(value: unknown, length = 16): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, length);
}
