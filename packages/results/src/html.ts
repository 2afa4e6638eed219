/**
 * HTML escaping for the report. Every string that comes from a config, a
 * label, an environment or an error passes through `esc` before it reaches
 * the page, so `<script>` in a sweep description is shown, not run.
 */
export function esc(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** An HTML table; `cells` are already-escaped HTML fragments, `attrs` per row as [name, value] pairs (escaped here). */
export function htmlTable(
  header: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string>>,
  options: { className?: string; caption?: string; rowAttrs?: ReadonlyArray<ReadonlyArray<readonly [string, string]>> } = {},
): string {
  const cls = options.className ? ` class="${esc(options.className)}"` : '';
  const caption = options.caption ? `<caption>${esc(options.caption)}</caption>` : '';
  const head = `<thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`;
  const body = rows
    .map((r, i) => {
      const attrs = (options.rowAttrs?.[i] ?? []).map(([k, v]) => ` ${esc(k)}="${esc(v)}"`).join('');
      return `<tr${attrs}>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<table${cls}>${caption}${head}<tbody>\n${body}\n</tbody></table>`;
}
