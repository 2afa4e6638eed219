import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The native addon (packages/engine/native: C++ over OpenBLAS), as its N-API
 * functions. Every buffer is a Float32Array, usually a view onto the wasm
 * backend's heap, so nothing is copied; the addon checks every length.
 */
export interface NativeAddon {
  gemm(
    heap: Float32Array,
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    aOff: number,
    lda: number,
    bOff: number,
    ldb: number,
    cOff: number,
    ldc: number,
    beta: number,
  ): void;
  conv2d(heap: Float32Array, geometry: Int32Array, xOff: number, wOff: number, yOff: number): void;
  conv2dBackpropInput(heap: Float32Array, geometry: Int32Array, dyOff: number, wOff: number, dxOff: number): void;
  conv2dBackpropFilter(heap: Float32Array, geometry: Int32Array, xOff: number, dyOff: number, dwOff: number): void;
  /** The path a direction (0 forward, 1 input gradient, 2 filter gradient) takes: the direct kernels or im2col and GEMM. */
  convPath(geometry: Int32Array, kind: 0 | 1 | 2): 'direct' | 'gemm';
  /**
   * The instruction set of the direct convolution kernels (the widest the build machine's CPU has) and
   * those available, widest first; with a name, chooses it first ('off': im2col and GEMM everywhere).
   * Process-wide: for tests and the bench.
   */
  directIsa(name?: DirectIsa): { active: DirectIsa; available: DirectIsa[] };
  /** The encoding is documented in native/src/program.h; ProgramBuilder writes it. */
  createProgram(
    header: Int32Array,
    ops: Int32Array,
    inputs: Int32Array,
    constants: Float32Array,
    paramSizes: Float64Array,
    paramKinds: Int32Array,
    optimizer: Float64Array,
  ): NativeProgramHandle;
  /** One array per parameter (state included), one mask or null per parameter; `lr`: this step's learning rate (ignored when `update` is false). */
  trainStep(
    program: NativeProgramHandle,
    x: Float32Array,
    labels: Int32Array,
    params: readonly Float32Array[],
    masks: ReadonlyArray<Float32Array | null>,
    update: boolean,
    lr: number,
  ): number;
  forward(program: NativeProgramHandle, x: Float32Array, n: number, params: readonly Float32Array[], out: Float32Array): void;
  readGradient(program: NativeProgramHandle, k: number, out: Float32Array): void;
  setThreads(n: number): void;
  getThreads(): number;
  /** The BLAS library's build configuration and the CPU kernel set it uses. */
  blas(): { core: string; config: string };
}

export type DirectIsa = 'avx512' | 'avx2' | 'off';

/** An opaque native training program (an N-API external). */
export interface NativeProgramHandle {
  readonly __nativeProgram: unique symbol;
}

export type NativeStatus = { readonly available: true; readonly addon: NativeAddon } | { readonly available: false; readonly reason: string };

const BUILD = new URL('../../native/build/', import.meta.url);
const ADDON = new URL('Release/prunelab_native.node', BUILD);

export const NATIVE_FIX = "apt-get install libopenblas-dev (or your system's OpenBLAS), then npm rebuild @prunelab/engine";

let status: NativeStatus | undefined;

/** Loads the addon once; when it is missing or does not load, says why (from the install-time build's record). */
export function nativeStatus(): NativeStatus {
  if (status) return status;
  if (process.env['PRUNELAB_NATIVE'] === 'off') return (status = { available: false, reason: 'PRUNELAB_NATIVE=off is set' });
  const file = fileURLToPath(ADDON);
  if (!existsSync(file)) return (status = { available: false, reason: buildReason() ?? 'the native addon was not built at install' });
  chooseBlasCore();
  try {
    const addon = createRequire(import.meta.url)(file) as NativeAddon;
    return (status = { available: true, addon });
  } catch (e) {
    return (status = { available: false, reason: `the native addon does not load (${(e as Error).message.split('\n')[0]})` });
  }
}

/**
 * OpenBLAS picks its kernels from the CPU model at load time, and 0.3.21
 * (Debian 12's) does not know recent ones: on the AVX-512 development machine
 * it fell back to its Prescott (SSE3) kernels, 23 GFLOP/s on a 1024^3 sgemm
 * against 56 for its SkylakeX ones in the same minute (/tmp/sgemm-style
 * measurement, one thread). Unless the user chose (OPENBLAS_CORETYPE), pick
 * the kernel set from the CPU's own feature flags before the library loads.
 */
export function blasCoreFor(flags: ReadonlySet<string>): string | undefined {
  if (['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => flags.has(f))) return 'SkylakeX';
  if (flags.has('avx2') && flags.has('fma')) return 'Haswell';
  return undefined;
}

/** The kernel set prunelab gives OpenBLAS on this machine: the user's OPENBLAS_CORETYPE, else one from the CPU flags, else none (OpenBLAS's own detection). */
export function chosenBlasCore(): string | undefined {
  if (process.env['OPENBLAS_CORETYPE']) return process.env['OPENBLAS_CORETYPE'];
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'));
    return blasCoreFor(new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []));
  } catch {
    return undefined; // not Linux
  }
}

function chooseBlasCore(): void {
  const core = chosenBlasCore();
  if (core) process.env['OPENBLAS_CORETYPE'] = core;
}

function buildReason(): string | undefined {
  try {
    const s = JSON.parse(readFileSync(new URL('status.json', BUILD), 'utf8')) as { ok?: boolean; reason?: string };
    return s.ok === false && s.reason ? s.reason : undefined;
  } catch {
    return undefined;
  }
}
