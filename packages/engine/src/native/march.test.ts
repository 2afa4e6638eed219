import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeStatus, type NativeAddon } from './addon.js';

// The addon is compiled for the installing machine's CPU (-march=native). One install shared by
// several CPU generations (a cluster's home directory) is built for the oldest with
// PRUNELAB_NATIVE_MARCH (README, Backends); the direct kernels then exist for that target only.
const engine = resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'prunelab-march-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : ''; // Linux; elsewhere the test is skipped
const flags = new Set((/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? '').trim().split(/\s+/));

// Where the install built the addon (a compiler and OpenBLAS are here), the older target must build too.
describe.skipIf(!(flags.has('avx2') && flags.has('fma') && nativeStatus().available))('PRUNELAB_NATIVE_MARCH', () => {
  it('builds the addon for an older target: x86-64-v3 has the AVX2 kernels and no AVX-512', () => {
    const copy = join(tmp, 'native');
    const built = join(engine, 'native', 'build');
    cpSync(join(engine, 'native'), copy, { recursive: true, filter: (src) => src !== built && !src.startsWith(`${built}/`) });
    const r = spawnSync(process.execPath, [join(copy, 'build.mjs')], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, PRUNELAB_NATIVE_MARCH: 'x86-64-v3' },
    });
    expect(r.status).toBe(0);
    const status = JSON.parse(readFileSync(join(copy, 'build', 'status.json'), 'utf8')) as { ok: boolean; reason: string };
    expect(status).toMatchObject({ ok: true });
    const addon = createRequire(import.meta.url)(join(copy, 'build', 'Release', 'prunelab_native.node')) as NativeAddon;
    expect(addon.directIsa()).toEqual({ active: 'avx2', available: ['avx2'] });
  });
});
