import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveServer, sha256Hex, smallCifarArchive } from '@prunelab/datasets/test-utils';
import { builtBin } from '../test-utils/built-cli.js';

// `prunelab data fetch` and `prunelab list datasets` as a user runs them (the built CLI), with
// PRUNELAB_DATA pointing at a fresh folder and the download served from 127.0.0.1.
const archive = smallCifarArchive();
const sha256 = sha256Hex(archive);
const server = new ArchiveServer(archive);
let data: string;

beforeAll(async () => {
  await server.start();
  data = mkdtempSync(join(tmpdir(), 'prunelab-data-cli-'));
});
afterAll(async () => {
  await server.stop();
  rmSync(data, { recursive: true, force: true });
});

/** The built CLI, asynchronously: the server answers from this process meanwhile. */
function cli(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [builtBin, ...args], { env: { ...process.env, PRUNELAB_DATA: data } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('prunelab data fetch', () => {
  it('list datasets says how to get CIFAR-10; fetch downloads, verifies and unpacks it, after which it is listed as available', async () => {
    const before = await cli(['list', 'datasets']);
    expect(before.stdout).toMatch(/cifar10 .* no: prunelab data fetch cifar10/);

    const r = await cli(['data', 'fetch', 'cifar10', '--url', server.url(), '--sha256', sha256]);
    // Not a terminal: a progress line at each tenth, ending at 100%.
    expect(r.stderr).toMatch(/^downloading cifar10: 0 bytes of .* \(0%\)$/m);
    expect(r.stderr).toMatch(/^downloading cifar10: (.*) of \1 \(100%\)$/m);
    expect(r.stdout).toContain(`sha256  ${sha256} (matches --sha256)`);
    expect(r.stdout).toContain(`cifar10 is in ${join(data, 'cifar-10-batches-bin')}`);
    expect(r.status).toBe(0);
    expect(readdirSync(join(data, 'cifar-10-batches-bin')).sort()).toEqual([
      'data_batch_1.bin',
      'data_batch_2.bin',
      'data_batch_3.bin',
      'data_batch_4.bin',
      'data_batch_5.bin',
      'test_batch.bin',
    ]);

    const after = await cli(['list', 'datasets', '--format', 'json']);
    const cifar = (JSON.parse(after.stdout) as Array<{ name: string; available: boolean }>).find((d) => d.name === 'cifar10');
    expect(cifar?.available).toBe(true);
    expect((await cli(['data', 'fetch', 'cifar10'])).stdout).toContain('cifar10 is already in');
  });

  // (fetch.test.ts in @prunelab/datasets goes through the other failures: interrupted, HTTP errors, a bad --sha256.)
  it('a corrupt download and bad arguments exit 2 with one line that says what to do', async () => {
    const dir = join(data, 'other');
    const corrupt = await cli(['data', 'fetch', 'cifar10', '--url', server.url(), '--dir', dir]);
    expect(corrupt.status).toBe(2);
    expect(corrupt.stderr).toMatch(
      /error\[E_DATASET_CORRUPT\]: .*cifar-10-binary\.tar\.gz\.part: md5 of the downloaded archive .*: expected c32a1d4ab5d03f1284b67883e8d87530, found [0-9a-f]{32}\. The download is damaged or is not the expected file, and was deleted: run the command again\. For a mirror that serves another file, give the sha256 of that file with --sha256/,
    );
    expect(corrupt.stderr).not.toContain('    at ');
    for (const [args, message] of [
      [['data', 'fetch'], 'data fetch: name the dataset to download. Datasets it downloads: cifar10'],
      [['data', 'get', 'cifar10'], 'data: unknown action "get"'],
    ] as const) {
      const r = await cli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });
});
