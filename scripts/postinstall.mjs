// Builds every workspace package after `npm install` / `npm ci`, so that
// `import ... from '@prunelab/projection'` and `npx prunelab` work from plain
// Node straight away. tsc -b is incremental: a second install rebuilds nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../node_modules/typescript/bin/tsc', import.meta.url))) {
  // Production installs without devDependencies ship no compiler; nothing to do.
  process.exit(0);
}
const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'tsconfig.json'], {
  cwd: new URL('..', import.meta.url),
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
