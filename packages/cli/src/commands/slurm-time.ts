import { PrunelabError } from '@prunelab/core';

/** A Slurm time limit in seconds, or Infinity for none (UNLIMITED, INFINITE). */
export type SlurmSeconds = number;

const FORMS = 'minutes, minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes or days-hours:minutes:seconds';

/**
 * Reads a time limit in one of sbatch's --time forms, or sinfo's partition
 * limit (which adds "infinite"). Fields after the first must be in range
 * (minutes and seconds under 60, hours under 24 after days), so a slip such
 * as 4:00:00:00 or 04:75:00 is refused here, not by sbatch on the cluster.
 * Returns undefined when `text` is none of them.
 */
export function parseSlurmTime(text: string): SlurmSeconds | undefined {
  const t = text.trim();
  if (/^(unlimited|infinite)$/i.test(t)) return Infinity;
  let m = /^(\d+)-(\d+)(?::(\d+)(?::(\d+))?)?$/.exec(t);
  if (m) {
    const [d, h, min = 0, s = 0] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
    if (h! >= 24 || min >= 60 || s >= 60) return undefined;
    return ((d! * 24 + h!) * 60 + min) * 60 + s;
  }
  m = /^(\d+)(?::(\d+)(?::(\d+))?)?$/.exec(t);
  if (!m) return undefined;
  const parts = m
    .slice(1)
    .filter((x) => x !== undefined)
    .map(Number);
  if (parts.length === 1) return parts[0]! * 60;
  if (parts.length === 2) return parts[1]! < 60 ? parts[0]! * 60 + parts[1]! : undefined;
  return parts[1]! < 60 && parts[2]! < 60 ? (parts[0]! * 60 + parts[1]!) * 60 + parts[2]! : undefined;
}

/** A positive --time, as the user wrote it, or a user error naming the option. */
export function checkTime(option: string, text: string): SlurmSeconds {
  const seconds = parseSlurmTime(text);
  if (seconds === undefined || seconds <= 0) {
    throw new PrunelabError('E_CONFIG_INVALID', `slurm: ${option} must be a Slurm time limit above zero: ${FORMS}, or UNLIMITED`, {
      path: option,
      value: text,
      fix: 'Example: --time 04:00:00 (4 hours) or --time 1-12:00:00 (a day and a half)',
    });
  }
  return seconds;
}

/** Seconds as hours:minutes:seconds (or days-hours:minutes:seconds), for a directive. */
export function formatSlurmTime(seconds: SlurmSeconds): string {
  if (seconds === Infinity) return 'UNLIMITED';
  const pad = (n: number) => String(n).padStart(2, '0');
  const s = Math.floor(seconds);
  const days = Math.floor(s / 86400);
  const hms = `${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return days > 0 ? `${days}-${hms}` : hms;
}
