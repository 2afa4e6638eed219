import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Who holds a run while it is in flight: one attempt of one process, written
 * `host:pid:token`. The token tells two attempts of one pid apart (a process
 * that died and a later one that got its pid). A run is held under a lease
 * (`lease_until`, epoch ms) that the owning process renews while it lives; a
 * run whose owner is gone may be taken over by another process. That is a
 * lease in the sense of Gray & Cheriton (1989), "Leases: an efficient
 * fault-tolerant mechanism for distributed file cache consistency": time only
 * decides when a dead owner's run may be taken over, never whether a write is
 * allowed, since every write checks the owner in the same SQL statement.
 */
export interface OwnerId {
  readonly host: string;
  readonly pid: number;
  readonly token: string;
}

export function newOwner(): string {
  return formatOwner({ host: hostname(), pid: process.pid, token: randomBytes(6).toString('hex') });
}

export function formatOwner(o: OwnerId): string {
  return `${o.host}:${o.pid}:${o.token}`;
}

/** The parts of an owner string; undefined for one this version did not write. Host names may hold colons (IPv6). */
export function parseOwner(owner: string): OwnerId | undefined {
  const m = /^(.+):(\d+):([0-9a-f]+)$/.exec(owner);
  return m ? { host: m[1]!, pid: Number(m[2]), token: m[3]! } : undefined;
}

/** True while `pid` names a process on this machine (EPERM: it exists, owned by someone else). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when the owner certainly no longer runs: its lease ran out, or it is a
 * process of this host whose pid is dead (or is ours, under another token).
 * The pid check lets a rerun right after a `kill -9` take the run over at
 * once; across hosts only the lease can tell. It assumes host names are
 * unique among the machines that share a results folder.
 */
export function ownerIsGone(owner: string | null, leaseUntil: number | null, now: number, me: string): boolean {
  if (owner === null) return true; // written by a prunelab without owners
  if (owner === me) return false;
  if (leaseUntil === null || leaseUntil < now) return true;
  const o = parseOwner(owner);
  const self = parseOwner(me);
  if (!o || !self || o.host !== self.host) return false;
  return o.pid === self.pid || !pidAlive(o.pid);
}
