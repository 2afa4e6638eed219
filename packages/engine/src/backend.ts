import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's CommonJS build ships no gradients (its ESM register_all_gradients
// cannot be imported by Node); the tfjs-layers bundle registers all of them
// into the shared global registry, as the union package @tensorflow/tfjs does.
import '@tensorflow/tfjs-layers';
import { PrunelabError, log } from '@prunelab/core';
import { nativeStatus, type NativeAddon } from './native/addon.js';

// tfjs-backend-cpu's first tensor write prints a banner to stderr ("Hi, looks
// like you are running TensorFlow.js in Node.js ...") unless PROD is set. A
// user's one-line error must stay one line, and prunelab picks backends itself.
tf.env().set('PROD', true);

/**
 * TensorFlow.js backend selection. Order: `tensorflow` (libtensorflow through
 * @tensorflow/tfjs-node-gpu, else @tensorflow/tfjs-node, both optional and
 * absent where libtensorflow could not be downloaded at install time), then
 * `native` (the wasm backend, with prunelab's native kernels over OpenBLAS
 * training the network: packages/engine/native, built at install where a
 * compiler and OpenBLAS are present), then `wasm` (XNNPACK, the default on a
 * plain machine without OpenBLAS), then `cpu` (pure JS).
 */
export type BackendName = 'tensorflow' | 'webgpu' | 'native' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

export interface BackendInfo {
  readonly name: BackendName;
  /** The npm package that provided it, with its version. */
  readonly package: string;
  readonly tfjsVersion: string;
  /** Whether the tensorflow backend sees a CUDA device. */
  readonly gpu: boolean;
}

let active: Promise<BackendInfo> | undefined;
let nativeAddon: NativeAddon | undefined;

/** The native addon when the active backend is `native`; training then runs as native programs. */
export function activeNativeEngine(): NativeAddon | undefined {
  return nativeAddon;
}
let activePreference: BackendPreference | undefined;

/** Selects and initialises a backend once per thread; later calls return the same one. */
export function initBackend(preference: BackendPreference = 'auto'): Promise<BackendInfo> {
  if (active && activePreference === preference) return active;
  activePreference = preference;
  nativeAddon = undefined;
  active = select(preference);
  return active;
}

async function select(preference: BackendPreference): Promise<BackendInfo> {
  const order: BackendName[] = preference === 'auto' ? ['tensorflow', 'native', 'wasm', 'cpu'] : [preference];
  const reasons: string[] = [];
  for (const name of order) {
    try {
      const info = await tryBackend(name);
      if (info) return info;
      reasons.push(`${name}: not installed`);
    } catch (e) {
      reasons.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new PrunelabError('E_BACKEND_UNAVAILABLE', `no usable TensorFlow.js backend (${reasons.join('; ')})`, {
    path: 'backend',
    value: preference,
    fix: "Use backend: auto, or install the backend's package (npm install @tensorflow/tfjs-backend-wasm)",
  });
}

/** BLAS threads per worker, from PRUNELAB_BLAS_THREADS (set by `prunelab run --blas-threads`); default 1. */
function blasThreads(): number {
  const raw = process.env['PRUNELAB_BLAS_THREADS'];
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new PrunelabError('E_CONFIG_INVALID', `PRUNELAB_BLAS_THREADS must be an integer from 1 to 256`, {
      path: 'PRUNELAB_BLAS_THREADS',
      value: raw,
      fix: 'Unset it, or give e.g. 2',
    });
  }
  return n;
}

async function tryBackend(name: BackendName): Promise<BackendInfo | undefined> {
  if (name === 'tensorflow') {
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      const mod = await importOptional(pkg);
      if (!mod) continue;
      await tf.setBackend('tensorflow');
      await tf.ready();
      // tfjs-node-gpu runs on the CPU when CUDA is missing; its backend says where it placed ops.
      const gpu = pkg.endsWith('-gpu') && (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
      return { name, package: `${pkg}@${versionOf(mod)}`, tfjsVersion: tf.version_core, gpu };
    }
    return undefined;
  }
  if (name === 'webgpu') {
    // Dawn through the npm package `webgpu` (Vulkan on Linux, Metal on macOS,
    // D3D12 on Windows) provides navigator.gpu; tfjs-backend-webgpu then runs on it.
    const dawn = await importOptional('webgpu');
    if (!dawn) return undefined;
    const gpu = await webgpuAdapter(dawn);
    if (!gpu) throw new Error('WebGPU (Dawn) found no adapter');
    if (!(await importOptional('@tensorflow/tfjs-backend-webgpu'))) return undefined;
    if (!(await tf.setBackend('webgpu'))) throw new Error('webgpu backend failed to initialise');
    await tf.ready();
    return { name, package: `@tensorflow/tfjs-backend-webgpu@${tf.version_core} (${gpu})`, tfjsVersion: tf.version_core, gpu: true };
  }
  if (name === 'native') {
    const status = nativeStatus();
    if (!status.available) throw new Error(status.reason);
    const wasm = await tryBackend('wasm');
    if (!wasm) return undefined;
    nativeAddon = status.addon;
    // One BLAS thread per worker: the runner already runs one worker per core. A
    // single-worker run may give BLAS more (prunelab run --blas-threads N).
    status.addon.setThreads(blasThreads());
    const { registerNativeKernels } = await import('./native/kernels.js');
    registerNativeKernels(status.addon);
    return {
      name,
      package: `@prunelab/engine native kernels (${status.addon.blas().config.split(' ').slice(0, 2).join(' ')}, ${status.addon.blas().core} kernels, ${status.addon.getThreads()} BLAS thread${status.addon.getThreads() === 1 ? '' : 's'}, direct convolutions: ${status.addon.directIsa().active}) on ${wasm.package}`,
      tfjsVersion: tf.version_core,
      gpu: false,
    };
  }
  if (name === 'wasm') {
    const wasm = await importOptional('@tensorflow/tfjs-backend-wasm');
    if (!wasm) return undefined;
    const { registerWasmTrainingKernels } = await import('./wasm/register.js');
    // Also swap wasm's scalar-loop Conv2DBackpropInput for the im2col one (tested against cpu to 1e-4).
    registerWasmTrainingKernels({ replaceSlowKernels: true });
    // One thread per worker: the runner already runs one worker per core.
    (wasm as { setThreadsCount?: (n: number) => void }).setThreadsCount?.(1);
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
    await tf.ready();
    return { name, package: `@tensorflow/tfjs-backend-wasm@${tf.version_core}`, tfjsVersion: tf.version_core, gpu: false };
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { name, package: `@tensorflow/tfjs-backend-cpu@${tf.version_core}`, tfjsVersion: tf.version_core, gpu: false };
}

/**
 * Installs Dawn's navigator.gpu and returns a description of its adapter, or
 * undefined when there is none (no driver, or only a software rasteriser that
 * lacks required features). Exported for the runner's lane detection.
 */
export async function webgpuAdapter(dawnModule?: Record<string, unknown>): Promise<string | undefined> {
  const dawn = dawnModule ?? (await importOptional('webgpu'));
  if (!dawn) return undefined;
  const { create, globals } = dawn as { create: (flags: string[]) => { requestAdapter(): Promise<unknown> }; globals: Record<string, unknown> };
  Object.assign(globalThis, globals);
  const g = globalThis as { navigator?: { gpu?: unknown } };
  g.navigator ??= {};
  g.navigator.gpu ??= create([]);
  const adapter =
    (await (
      g.navigator.gpu as { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string; description?: string } } | null> }
    ).requestAdapter()) ?? undefined;
  if (!adapter) return undefined;
  const info = adapter.info ?? {};
  return [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'adapter';
}

async function importOptional(pkg: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(pkg)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    log.debug(`backend package ${pkg} failed to load: ${(e as Error).message}`);
    return undefined;
  }
}

function versionOf(mod: Record<string, unknown>): string {
  const v = mod['version'];
  if (v && typeof v === 'object' && 'tfjs-node' in v) return String((v as Record<string, unknown>)['tfjs-node']);
  return tf.version_core;
}

export { tf };
