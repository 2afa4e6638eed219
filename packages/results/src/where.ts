import { PrunelabError, unknownNameError } from '@prunelab/core';
import { FILTER_FIELDS, isFilterField, type Filter, type FilterField } from '@prunelab/store';

/**
 * Parses `--where 'scorer=magnitude,structure=2:4'` into field/value pairs.
 * The store turns them into `field IN (?, ...)` with bound parameters, so a
 * value is only ever data: `scorer=x' OR 1=1 --` selects the scorer literally
 * named that. Repeating a field means any of its values.
 */
export function parseWhere(text: string | undefined): Filter {
  if (text === undefined || text.trim() === '') return [];
  const byField = new Map<FilterField, string[]>();
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) {
      throw new PrunelabError('E_CONFIG_INVALID', 'each --where item is field=value', { path: '--where', value: item, fix: `e.g. --where 'scorer=magnitude,structure=2:4'; fields: ${FILTER_FIELDS.join(', ')}` });
    }
    const field = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (!isFilterField(field)) throw unknownNameError('--where field', field, FILTER_FIELDS, { path: '--where' });
    if (value === '') throw new PrunelabError('E_CONFIG_INVALID', `--where ${field}= has no value`, { path: '--where', value: item });
    const list = byField.get(field) ?? [];
    list.push(value);
    byField.set(field, list);
  }
  return [...byField].map(([field, values]) => ({ field, values }));
}

/** The filter written back as text, for titles and reports. */
export function formatWhere(filter: Filter): string {
  return filter.flatMap((c) => c.values.map((v) => `${c.field}=${v}`)).join(',');
}
