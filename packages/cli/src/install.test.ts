import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// CI runs in a fresh clone after `npm ci`, so this is the check that a new
// user's `npx prunelab` works: npm must have linked the committed bin file
// (packages/cli/bin/prunelab.js) at install time. --no-install keeps npx from
// asking the registry for a package called `prunelab` when the link is missing.
const repo = resolve(import.meta.dirname, '../../..');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

describe('the installed prunelab command', () => {
  for (const folder of ['.', 'experiments', 'packages/cli', 'configs/datasets']) {
    it(`npx --no-install prunelab --help works from ${folder}`, () => {
      const r = spawnSync(npx, ['--no-install', 'prunelab', '--help'], { cwd: resolve(repo, folder), encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).not.toContain('could not determine executable');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Usage: prunelab <command>');
    });
  }
});
