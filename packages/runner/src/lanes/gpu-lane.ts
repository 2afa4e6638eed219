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
  const engine = pathToFileURL(require.resolve('@prunelab/engine')).href;
  const script = `import(${JSON.stringify(engine)}).then((m) => m.webgpuAdapter()).then((a) => { process.stdout.write(JSON.stringify(a ?? null)); process.exit(0); })`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    return (JSON.parse(r.stdout || 'null') as string | null) ?? undefined;
  } catch {
    log.debug(`webgpu adapter probe failed: ${r.stderr.split('\n')[0] ?? ''}`);
    return undefined;
  }
}

/**
 * Loads @tensorflow/tfjs-node-gpu in a child process and asks TensorFlow
 * whether it placed ops on a GPU. The npm package can be present without its
 * native binding (its install step downloads libtensorflow, which fails
 * offline), and the CPU build of TensorFlow loads fine on a machine without
 * CUDA: neither is a GPU lane. A child process, because loading libtensorflow
 * takes seconds and prints to stderr.
 */
export function probeCuda(entry = pathToFileURL(require.resolve('@tensorflow/tfjs-node-gpu')).href): { gpu: boolean; reason: string } {
  const script =
    `import(${JSON.stringify(entry)}).then(async (m) => { const tf = m.default ?? m; await tf.setBackend('tensorflow'); ` +
    'process.stdout.write(JSON.stringify({ gpu: tf.backend().isUsingGpuDevice === true })); process.exit(0); })' +
    '.catch((e) => { process.stdout.write(JSON.stringify({ error: String(e && e.message || e).split("\\n")[0] })); process.exit(0); })';
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const out = JSON.parse(r.stdout || 'null') as { gpu?: boolean; error?: string } | null;
    if (out?.gpu === true) return { gpu: true, reason: '' };
    return { gpu: false, reason: out?.error ? `it does not load (${out.error.slice(0, 160)})` : 'TensorFlow sees no CUDA device' };
  } catch {
    return { gpu: false, reason: `its probe failed${r.error ? ` (${r.error.message})` : ''}` };
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
  let cuda = '';
  if (installed('@tensorflow/tfjs-node-gpu')) {
    const probe = probeCuda();
    if (probe.gpu) {
      log.info('GPU lane: @tensorflow/tfjs-node-gpu (CUDA), 1 worker');
      return [createPoolLane({ name: 'gpu', threads: 1, backend: 'tensorflow' })];
    }
    cuda = `@tensorflow/tfjs-node-gpu is installed but ${probe.reason}`;
  }
  if (installed('webgpu') && installed('@tensorflow/tfjs-backend-webgpu')) {
    const adapter = probeWebgpuAdapter();
    if (adapter) {
      log.info(`GPU lane: WebGPU (Dawn) on ${adapter}, 1 worker`);
      return [createPoolLane({ name: 'gpu', threads: 1, backend: 'webgpu' })];
    }
    sayOnce(`no GPU lane: ${cuda || '@tensorflow/tfjs-node-gpu is not installed'} and WebGPU (Dawn) found no adapter; running on CPU lanes only`);
    return [];
  }
  sayOnce(
    `no GPU lane: ${cuda ? `${cuda}, and` : 'neither @tensorflow/tfjs-node-gpu nor'} webgpu + @tensorflow/tfjs-backend-webgpu ${cuda ? 'are not' : 'is'} installed; running on CPU lanes only`,
  );
  return [];
}
