import { PrunelabError } from '@prunelab/core';

export const FORMATS = ['table', 'markdown', 'csv', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export type Value = string | number | boolean | null;

/** Rows of named columns: what every listing is before it is written in one of the formats. */
export interface Listing {
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<Readonly<Record<string, Value>>>;
  /** Printed above the table and markdown forms. */
  readonly title?: string;
  /** Printed below the table and markdown forms (legends, units). */
  readonly notes?: readonly string[];
}

/**
 * The --format a command was given, or its first allowed format when none was:
 * every command checks it here (the listing formats, or its own subset of
 * them), so each refuses an unknown format with the same message.
 */
export function checkFormat(value: string | undefined): Format;
export function checkFormat<F extends string>(value: string | undefined, allowed: readonly F[]): F;
export function checkFormat(value: string | undefined, allowed: readonly string[] = FORMATS): string {
  const v = value ?? allowed[0]!;
  if (!allowed.includes(v)) throw new PrunelabError('E_CONFIG_INVALID', 'unknown format', { path: '--format', value: v, fix: `Use one of: ${allowed.join(', ')}` });
  return v;
}

/** Numbers for people: integers whole, others to 4 significant digits. CSV and JSON keep full precision. */
function showValue(v: Value | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number(v.toPrecision(4)).toString();
  return String(v);
}

/**
 * RFC 4180: quote fields holding a comma, quote or line break; double the
 * quotes. A text field that starts with = + - @ or a tab / carriage return is
 * prefixed with ' so a spreadsheet shows it instead of evaluating it as a
 * formula (OWASP, "CSV Injection"); sweep names and labels come from user files.
 * Numbers are written as they are, negative ones included.
 */
export function csvField(v: Value | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? String(v) : /^[=+\-@\t\r]/.test(String(v)) ? `'${String(v)}` : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function renderText(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const all = [header, ...rows];
  const widths = header.map((_, j) => Math.max(...all.map((r) => (r[j] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, j) => (c ?? '').padEnd(widths[j]!)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const mdCell = (s: string) => s.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replace(/\r?\n/g, ' ');

export function renderMarkdown(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return [
    `| ${header.map(mdCell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ].join('\n');
}

export function renderCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<Value | undefined>>): string {
  return [header.map(csvField).join(','), ...rows.map((r) => r.map(csvField).join(','))].join('\n');
}

/** Writes a listing in one format; all four carry the same rows and columns. */
export function formatListing(listing: Listing, format: Format): string {
  const cells = listing.rows.map((r) => listing.columns.map((c) => r[c] ?? null));
  switch (format) {
    case 'json':
      return JSON.stringify(listing.rows.map((r) => Object.fromEntries(listing.columns.map((c) => [c, r[c] ?? null]))), null, 2);
    case 'csv':
      return renderCsv(listing.columns, cells);
    case 'markdown':
      return [
        ...(listing.title ? [`**${mdCell(listing.title)}**`, ''] : []),
        renderMarkdown(listing.columns, cells.map((r) => r.map(showValue))),
        ...(listing.notes?.length ? ['', ...listing.notes] : []),
      ].join('\n');
    case 'table':
      return [
        ...(listing.title ? [listing.title] : []),
        renderText(listing.columns, cells.map((r) => r.map(showValue))),
        ...(listing.notes ?? []),
      ].join('\n');
  }
}
