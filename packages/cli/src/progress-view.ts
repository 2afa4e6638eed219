/**
 * What the progress display of `prunelab run` shows, as a pure function of
 * the sweep's state and the terminal width, so that every state can be tested
 * at every width. One status line, then one line per task in flight, each cut
 * to the width with an ellipsis at its end (never in its lane name).
 */
export interface ProgressState {
  /** Dense models to train before the runs that need them, and how many are settled (trained or failed). */
  readonly dense: { readonly done: number; readonly total: number };
  /** This invocation's runs: to run (`total`), and how each that ended ended. */
  readonly runs: { readonly total: number; readonly done: number; readonly failed: number; readonly interrupted: number; readonly skipped: number };
  /** Ctrl-C was pressed: in-flight runs are stopping, the rest will not start. */
  readonly stopping: boolean;
  /** In flight: lane -> task label -> the task (a dense training or a run) and its current phase ('started', 'finetuned@0.9'). */
  readonly lanes: ReadonlyMap<string, ReadonlyMap<string, TaskView>>;
  /** Seconds left by the runs' rate so far; undefined until a run has finished. */
  readonly etaSeconds: number | undefined;
}

export interface TaskView {
  readonly kind: 'dense' | 'run';
  readonly phase: string;
}

/** Most task lines shown; the rest are counted on one line. */
const MAX_TASK_LINES = 8;

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Cuts `text` to `width` characters, marking the cut with an ellipsis. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** The status line's parts, most important first: later parts are dropped before the line is cut. */
function statusParts(s: ProgressState): string[] {
  const r = s.runs;
  const ended = r.done + r.failed + r.interrupted + r.skipped;
  if (s.stopping) {
    const inFlight = [...s.lanes.values()].reduce((n, m) => n + [...m.values()].filter((t) => t.kind === 'run').length, 0);
    const notStarted = Math.max(0, r.total - ended - inFlight);
    return [
      `stopping: ${r.done} done, ${r.interrupted} interrupted, ${inFlight} stopping, ${notStarted} not started of ${r.total}`,
      ...(r.failed > 0 ? [`${r.failed} failed`] : []),
      ...(r.skipped > 0 ? [`${r.skipped} left to another process`] : []),
    ];
  }
  const denseLeft = s.dense.total - s.dense.done;
  if (denseLeft > 0 && ended === 0) {
    return [`dense models ${s.dense.done}/${s.dense.total}`, `then ${r.total} run(s)`];
  }
  return [
    `runs ${r.done}/${r.total} done`,
    ...(r.failed > 0 ? [`${r.failed} failed`] : []),
    ...(r.interrupted > 0 ? [`${r.interrupted} interrupted`] : []),
    ...(r.skipped > 0 ? [`${r.skipped} left to another process`] : []),
    ...(denseLeft > 0 ? [`dense models ${s.dense.done}/${s.dense.total}`] : []),
    `ETA ${s.etaSeconds === undefined ? '?' : formatDuration(s.etaSeconds)}`,
  ];
}

function statusLine(s: ProgressState, width: number): string {
  const parts = statusParts(s);
  const r = s.runs;
  const denseLeft = s.dense.total - s.dense.done;
  const fraction =
    denseLeft > 0 && r.done + r.failed + r.interrupted + r.skipped === 0
      ? s.dense.done / Math.max(1, s.dense.total)
      : (r.done + r.failed + r.interrupted + r.skipped) / Math.max(1, r.total);
  const withBar = (ps: string[]) => `${bar(fraction, 20)} ${ps.join(' | ')}`;
  // Drop the optional parts from the end, then the bar, before cutting the first part.
  for (let n = parts.length; n >= 1; n--) {
    const text = withBar(parts.slice(0, n));
    if (text.length <= width) return text;
  }
  for (let n = parts.length; n >= 1; n--) {
    const text = parts.slice(0, n).join(' | ');
    if (text.length <= width) return text;
  }
  return fit(parts[0]!, width);
}

/**
 * The lines to draw, none longer than `width`. The last column is left free,
 * because some terminals wrap a line that fills it.
 */
export function renderProgress(s: ProgressState, columns: number): string[] {
  const width = Math.max(10, columns - 1);
  const lines = [statusLine(s, width)];
  const tasks: string[] = [];
  for (const [lane, running] of s.lanes) {
    for (const [label, t] of running) tasks.push(`  ${lane}: ${label} (${t.phase})`);
  }
  const r = s.runs;
  const allEnded = r.done + r.failed + r.interrupted + r.skipped >= r.total && s.dense.done >= s.dense.total;
  if (tasks.length === 0 && !s.stopping && !allEnded) tasks.push('  idle: waiting for work');
  const shown = tasks.length > MAX_TASK_LINES ? tasks.slice(0, MAX_TASK_LINES - 1) : tasks;
  for (const t of shown) lines.push(fit(t, width));
  if (shown.length < tasks.length) lines.push(fit(`  … and ${tasks.length - shown.length} more`, width));
  return lines;
}
