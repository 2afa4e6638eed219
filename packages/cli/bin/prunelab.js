#!/usr/bin/env node
// The `prunelab` command. This file is committed (not built) because npm links a
// workspace's bin at install time only if the file already exists, and dist/ is
// built later, by the postinstall step. It finds dist/ next to itself, so it works
// from any folder, through npx, node_modules/.bin, or `node packages/cli/bin/prunelab.js`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(entry)) {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  process.stderr.write(
    `error[E_NOT_BUILT]: prunelab is not built (${fileURLToPath(entry)} is missing). ` +
      `Fix: run \`npm run build\` in ${root} (npm install runs it for you).\n`,
  );
  process.exit(2);
}
await import(entry.href);
