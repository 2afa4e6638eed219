import { afterEach, describe, expect, it, vi } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { DEFAULT_LEASE_MS, leaseMsFromEnv, startHeartbeat } from './lease.js';

describe('run leases', () => {
  afterEach(() => vi.useRealTimers());

  it("the heartbeat renews this owner's leases four times per lease, until stopped", () => {
    vi.useFakeTimers();
    const renewals: Array<[string, number]> = [];
    const writer = {
      renewLeases: (owner: string, ms: number) => {
        renewals.push([owner, ms]);
        return 1;
      },
    };
    const beat = startHeartbeat(writer, 'h:1:ab', 8000);
    vi.advanceTimersByTime(8000);
    expect(renewals).toEqual(Array.from({ length: 4 }, () => ['h:1:ab', 8000]));
    beat.stop();
    vi.advanceTimersByTime(8000);
    expect(renewals).toHaveLength(4);
  });

  it('PRUNELAB_LEASE_S sets the lease in seconds; nonsense is a user error naming the variable', () => {
    expect(leaseMsFromEnv({})).toBe(DEFAULT_LEASE_MS);
    expect(leaseMsFromEnv({ PRUNELAB_LEASE_S: '2' })).toBe(2000);
    for (const bad of ['0', '-1', 'x', '1e9']) {
      const e = (() => {
        try {
          return leaseMsFromEnv({ PRUNELAB_LEASE_S: bad });
        } catch (err) {
          return err;
        }
      })();
      expect(isPrunelabError(e) && e.isUserError && e.message).toMatch(/PRUNELAB_LEASE_S/);
    }
  });
});
