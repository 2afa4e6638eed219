import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { blasCoreFor } from './addon.js';

// Where the native kernels cannot be built or loaded, prunelab still installs
// and runs, on wasm, and says why and how to turn them on.
const engine = resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'prunelab-native-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('without the native kernels', () => {
  it('auto picks wasm and says why native is off', () => {
    // The built package, as a user's process loads it (npm test builds before it tests).
    const script = `import(${JSON.stringify(pathToFileURL(join(engine, 'dist/index.js')).href)}).then(async (e) => {
      const info = await e.initBackend('auto');
      const s = e.nativeStatus();
      process.stdout.write(JSON.stringify({ name: info.name, available: s.available, reason: s.available ? '' : s.reason }));
    })`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, PRUNELAB_NATIVE: 'off' },
      timeout: 60_000,
    });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    expect(JSON.parse(last)).toEqual({ name: 'wasm', available: false, reason: 'PRUNELAB_NATIVE=off is set' });
  });

  it('the install-time build never fails, and records that OpenBLAS is missing', () => {
    const copy = join(tmp, 'native');
    const built = join(engine, 'native', 'build');
    cpSync(join(engine, 'native'), copy, { recursive: true, filter: (src) => src !== built && !src.startsWith(`${built}/`) });
    // The same sources, linked against a library that does not exist, as on a machine without OpenBLAS.
    const gyp = join(copy, 'binding.gyp');
    writeFileSync(gyp, readFileSync(gyp, 'utf8').replace('-lopenblas', '-lopenblas_absent_for_this_test'));
    const r = spawnSync(process.execPath, [join(copy, 'build.mjs')], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('apt-get install libopenblas-dev, then npm rebuild @prunelab/engine');
    const status = JSON.parse(readFileSync(join(copy, 'build', 'status.json'), 'utf8')) as { ok: boolean; reason: string };
    expect(status).toMatchObject({ ok: false, reason: 'OpenBLAS was not found when prunelab was installed' });
  });
});

describe('blasCoreFor', () => {
  it('picks the kernel set from the CPU flags', () => {
    expect(blasCoreFor(new Set(['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512dq']))).toBe('SkylakeX');
    expect(blasCoreFor(new Set(['avx2', 'fma', 'avx512f']))).toBe('Haswell');
    expect(blasCoreFor(new Set(['sse3']))).toBeUndefined();
  });
});
