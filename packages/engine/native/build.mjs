// Builds the native kernels (packages/engine/native, C++ over OpenBLAS) at
// install time. It never fails the install: where there is no compiler or no
// OpenBLAS, prunelab runs on the wasm backend and says once, at start, why the
// native kernels are off (the reason is written to build/status.json here).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const status = (ok, reason) => {
  mkdirSync(join(here, 'build'), { recursive: true });
  writeFileSync(join(here, 'build', 'status.json'), `${JSON.stringify({ ok, reason, at: new Date().toISOString() })}\n`);
};

if (process.env.PRUNELAB_NATIVE === 'off') {
  status(false, 'PRUNELAB_NATIVE=off was set when it was installed');
  process.exit(0);
}
// npm sets npm_config_node_gyp to its bundled node-gyp for install scripts; run
// by hand, use the one npm ships beside this node. Headers: npm's nodedir, else
// the ones installed with node (node-gyp would otherwise download them).
const prefix = dirname(dirname(process.execPath));
const bundled = join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const gyp = process.env.npm_config_node_gyp || (existsSync(bundled) ? bundled : undefined);
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
const args = ['rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const cmd = gyp ? [process.execPath, [gyp, ...args]] : ['node-gyp', args];
const r = spawnSync(cmd[0], cmd[1], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (r.status === 0) {
  status(true, '');
} else {
  const text = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  const reason = /cblas\.h|lopenblas|openblas/i.test(text)
    ? 'OpenBLAS was not found when prunelab was installed'
    : r.error
      ? `node-gyp could not run (${r.error.message})`
      : `the native build failed (${(text.split('\n').find((l) => /error/i.test(l)) ?? 'see npm rebuild @prunelab/engine').trim().slice(0, 200)})`;
  status(false, reason);
  process.stderr.write(
    `prunelab: native kernels not built: ${reason}. prunelab runs on wasm; to enable them: apt-get install libopenblas-dev, then npm rebuild @prunelab/engine\n`,
  );
}
process.exit(0);
