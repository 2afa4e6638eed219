import { PrunelabError, log } from '@prunelab/core';
import type { Writer } from '@prunelab/store';

/**
 * How long a process's claim on a run lasts without renewal. A process that
 * died on this host is recognised at once by its pid; the lease is what lets
 * a process on another machine (a Slurm job on a shared folder) take over
 * the run of one that died. It decides only when a run may be taken over:
 * every write checks the owner, so a lease that runs out under a live but
 * stalled process costs repeated work, never data.
 */
export const DEFAULT_LEASE_MS = 60_000;

/** The lease from $PRUNELAB_LEASE_S (seconds), else the default. */
export function leaseMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['PRUNELAB_LEASE_S'];
  if (raw === undefined || raw === '') return DEFAULT_LEASE_MS;
  const s = Number(raw);
  if (!Number.isFinite(s) || s < 1 || s > 86_400) {
    throw new PrunelabError('E_CONFIG_INVALID', 'PRUNELAB_LEASE_S must be a number of seconds from 1 to 86400', {
      path: 'PRUNELAB_LEASE_S',
      value: raw,
      fix: `Unset it for the default (${DEFAULT_LEASE_MS / 1000} s)`,
    });
  }
  return s * 1000;
}

/**
 * Renews the leases of every run this process holds, four times per lease, on
 * the main thread (which only relays messages, so it is never busy for long).
 * The timer does not keep the process alive.
 */
export function startHeartbeat(writer: Pick<Writer, 'renewLeases'>, owner: string, leaseMs: number): { stop(): void } {
  const timer = setInterval(() => {
    try {
      writer.renewLeases(owner, leaseMs);
    } catch (e) {
      // A busy database past busy_timeout: the next beat tries again, and the lease has room for it.
      log.warn(`could not renew this process's run leases: ${(e as Error).message}`);
    }
  }, leaseMs / 4);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
