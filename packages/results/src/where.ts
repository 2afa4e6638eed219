import { PrunelabError, unknownNameError } from '@prunelab/core';
import { FILTER_FIELDS, isFilterField, runSummaries, type Db, type Filter, type FilterField } from '@prunelab/store';

const where = (value: string, message: string, fix: string) => new PrunelabError('E_CONFIG_INVALID', message, { path: '--where', value, fix });
const QUOTE_FIX = `Quote a value that holds commas, brackets or quotes: --where 'schedule="iterative(rate=0.9, rewind=init)"' (a quote inside a quoted value is written twice)`;
const OPEN = '([{';
const CLOSE = ')]}';

/**
 * Splits `--where` text into `field=value` items at the commas that separate
 * them: not at a comma inside brackets (`iterative(rate=0.9, rewind=init)`,
 * `snip(batches=[1,2])`), nor inside a quoted value. A value is quoted when
 * it starts with " or ' right after its `=`; inside, the quote is written
 * twice. A quote anywhere else is an ordinary character, so
 * `scorer=x' OR 1=1 --` is the value `x' OR 1=1 --`.
 */
function splitItems(text: string): Array<{ field: string; value: string; quoted: boolean }> {
  const items: Array<{ field: string; value: string; quoted: boolean }> = [];
  let i = 0;
  while (i < text.length) {
    // The field: up to the first '=' or the end of the item.
    let j = i;
    while (j < text.length && text[j] !== '=' && text[j] !== ',') j++;
    const field = text.slice(i, j).trim();
    if (j >= text.length || text[j] === ',') {
      if (field !== '') throw where(field, 'each --where item is field=value', `e.g. --where 'scorer=magnitude,structure=unit'; fields: ${FILTER_FIELDS.join(', ')}`);
      i = j + 1;
      continue;
    }
    j++;
    while (j < text.length && /\s/.test(text[j]!)) j++;
    const q = text[j];
    if (q === '"' || q === "'") {
      // A quoted value runs to its closing quote; a doubled quote is one quote.
      let value = '';
      let k = j + 1;
      for (;;) {
        if (k >= text.length) throw where(text.slice(i), `unterminated ${q} in --where`, QUOTE_FIX);
        if (text[k] === q && text[k + 1] === q) {
          value += q;
          k += 2;
        } else if (text[k] === q) break;
        else value += text[k++];
      }
      k++;
      while (k < text.length && /\s/.test(text[k]!)) k++;
      if (k < text.length && text[k] !== ',') throw where(text.slice(i), 'text after a quoted --where value', 'End the quoted value with its closing quote, then a comma or the end');
      items.push({ field, value, quoted: true });
      i = k + 1;
      continue;
    }
    // An unquoted value runs to the next comma outside brackets.
    let depth = 0;
    let k = j;
    for (; k < text.length; k++) {
      const c = text[k]!;
      if (OPEN.includes(c)) depth++;
      else if (CLOSE.includes(c)) depth = Math.max(0, depth - 1);
      else if (c === ',' && depth === 0) break;
    }
    if (depth > 0) throw where(text.slice(i, k), 'unclosed bracket in a --where value', QUOTE_FIX);
    items.push({ field, value: text.slice(j, k).trim(), quoted: false });
    i = k + 1;
  }
  return items;
}

/**
 * Parses `--where 'scorer=magnitude,structure=2:4'` into field/value pairs.
 * Every label prunelab writes can be given verbatim, brackets and commas
 * included (`schedule=iterative(rate=0.9, rewind=init)`), or quoted (see
 * quoteWhereValue). The store turns the pairs into `field IN (?, ...)` with
 * bound parameters, so a value is only ever data: `scorer=x' OR 1=1 --`
 * selects the scorer literally named that. Repeating a field means any of its
 * values. A bare kind selects every label of that kind (see resolveWhere).
 */
export function parseWhere(text: string | undefined): Filter {
  if (text === undefined || text.trim() === '') return [];
  const byField = new Map<FilterField, string[]>();
  for (const { field, value, quoted } of splitItems(text)) {
    if (!isFilterField(field)) throw unknownNameError('--where field', field, FILTER_FIELDS, { path: '--where' });
    if (value === '' && !quoted) throw new PrunelabError('E_CONFIG_INVALID', `--where ${field}= has no value`, { path: '--where', value: `${field}=` });
    const list = byField.get(field) ?? [];
    list.push(value);
    byField.set(field, list);
  }
  return [...byField].map(([field, values]) => ({ field, values }));
}

/** A value as `--where` takes it back: verbatim when that parses to the same value, else in double quotes. */
export function quoteWhereValue(value: string): string {
  try {
    const parsed = parseWhere(`run_id=${value}`);
    if (parsed.length === 1 && parsed[0]!.values.length === 1 && parsed[0]!.values[0] === value) return value;
  } catch {
    // Does not parse verbatim: quote it.
  }
  return `"${value.replaceAll('"', '""')}"`;
}

/** The filter written back as text that parseWhere reads, for titles and reports. */
export function formatWhere(filter: Filter): string {
  return filter.flatMap((c) => c.values.map((v) => `${c.field}=${quoteWhereValue(v)}`)).join(',');
}

/**
 * The kind of a stored label, for the fields whose labels carry more than a
 * name (their format is written by the runner, packages/runner/src/config/labels.ts):
 * a scorer or schedule `iterative(rate=0.9, rewind=init)` is of kind
 * `iterative`; a structure `unit-l2` or `unit-l1-layernorm` of kind `unit`,
 * `block4x4` of `block`, `2:4` of `n:m`; a model `mlp:lenet-300-100` of `mlp`.
 * Other fields and other labels are their own kind.
 */
export function labelKind(field: FilterField, label: string): string {
  switch (field) {
    case 'scorer':
    case 'schedule': {
      const paren = label.indexOf('(');
      return paren > 0 ? label.slice(0, paren) : label;
    }
    case 'structure':
      if (/^unit-/.test(label)) return 'unit';
      if (/^block\d+x\d+$/.test(label)) return 'block';
      if (/^\d+:\d+$/.test(label)) return 'n:m';
      return label;
    case 'model': {
      const colon = label.indexOf(':');
      return colon > 0 ? label.slice(0, colon) : label;
    }
    default:
      return label;
  }
}

const KIND_FIELDS: ReadonlySet<FilterField> = new Set(['scorer', 'schedule', 'structure', 'model']);

/**
 * The filter with each bare kind widened to the sweep's labels of that kind:
 * `structure=unit` becomes `structure IN ('unit', 'unit-l2', ...)` for the
 * labels the sweep holds. Values stay bound parameters; a full label still
 * selects only itself.
 */
export function resolveWhere(db: Db, sweep: string, filter: Filter): Filter {
  if (!filter.some((c) => KIND_FIELDS.has(c.field))) return filter;
  const runs = runSummaries(db, sweep);
  return filter.map((c) => {
    if (!KIND_FIELDS.has(c.field)) return c;
    const labels = new Set(runs.map((r) => String(r[c.field])));
    const wanted = new Set(c.values);
    return { field: c.field, values: [...new Set([...c.values, ...[...labels].filter((l) => wanted.has(labelKind(c.field, l))).sort()])] };
  });
}
