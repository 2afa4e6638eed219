import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { log } from '@prunelab/core';
import { createPoolLane } from './cpu-lane.js';
import type { Lane } from './types.js';

const require = createRequire(import.meta.url);

function installed(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Asks Dawn for an adapter in a child process: Dawn prints driver warnings to
 * stderr (and a broken driver can take its process down), which must not land
 * in the user's terminal or crash the sweep.
 */
function probeWebgpuAdapter(): string | undefined {
  const models = pathToFileURL(require.resolve('@prunelab/models')).href;
  const script = `import(${JSON.stringify(models)}).then((m) => m.webgpuAdapter()).then((a) => { process.stdout.write(JSON.stringify(a ?? null)); process.exit(0); })`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    return (JSON.parse(r.stdout || 'null') as string | null) ?? undefined;
  } catch {
    log.debug(`webgpu adapter probe failed: ${r.stderr.split('\n')[0] ?? ''}`);
    return undefined;
  }
}

let said = false;
const sayOnce = (message: string) => {
  if (said) return;
  said = true;
  log.info(message);
};

/**
 * The GPU lane: one worker holding a GPU backend, detected at start.
 * - `tensorflow` through @tensorflow/tfjs-node-gpu (CUDA). The worker checks
 *   at its first task that TensorFlow really sees a GPU; if not, the lane
 *   retires and its runs go back to the CPU lanes.
 * - else `webgpu` through @tensorflow/tfjs-backend-webgpu on Dawn (the npm
 *   package `webgpu`), when an adapter is found.
 * Both are optional dependencies. Without either, the lane is absent and we say so once.
 */
export async function detectGpuLane(): Promise<Lane[]> {
  if (installed('@tensorflow/tfjs-node-gpu')) {
    log.info('GPU lane: @tensorflow/tfjs-node-gpu (CUDA), 1 worker');
    return [createPoolLane({ name: 'gpu', threads: 1, backend: 'tensorflow' })];
  }
  if (installed('webgpu') && installed('@tensorflow/tfjs-backend-webgpu')) {
    const adapter = probeWebgpuAdapter();
    if (adapter) {
      log.info(`GPU lane: WebGPU (Dawn) on ${adapter}, 1 worker`);
      return [createPoolLane({ name: 'gpu', threads: 1, backend: 'webgpu' })];
    }
    sayOnce('no GPU lane: @tensorflow/tfjs-node-gpu is not installed and WebGPU (Dawn) found no adapter; running on CPU lanes only');
    return [];
  }
  sayOnce('no GPU lane: neither @tensorflow/tfjs-node-gpu nor webgpu + @tensorflow/tfjs-backend-webgpu is installed; running on CPU lanes only');
  return [];
}
