import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearDatasetCache } from '../cache.js';
import { CIFAR10_ARCHIVE } from '../cifar10.js';
import { loadDataset } from '../load.js';
import { listDatasets } from '../registry.js';
import { caught } from '../test-utils/builders.js';
import { ArchiveServer, sha256Hex, SMALL_CIFAR_RECORDS, smallCifarArchive, smallCifarFiles } from '../test-utils/http.js';
import type { DownloadProgress } from './download.js';
import { fetchDataset } from './fetch.js';

// The real download code against a server on 127.0.0.1 serving a small
// archive in the real CIFAR-10 layout: nothing here touches the network.
const archive = smallCifarArchive();
const sha256 = sha256Hex(archive);
const server = new ArchiveServer(archive);
let base: string;
const saved = process.env['PRUNELAB_DATA'];

beforeAll(() => server.start());
afterAll(() => server.stop());
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'prunelab-fetch-'));
  process.env['PRUNELAB_DATA'] = base;
  server.requests.length = 0;
  server.plan.length = 0;
  server.body = archive;
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
  if (saved === undefined) delete process.env['PRUNELAB_DATA'];
  else process.env['PRUNELAB_DATA'] = saved;
  clearDatasetCache();
});

const folder = () => join(base, CIFAR10_ARCHIVE.folder);
const part = () => join(base, 'cifar-10-binary.tar.gz.part');

/** Every file the loader needs, byte for byte as the test archive holds it, and nothing left beside them. */
function expectUnpacked(): void {
  for (const [f, bytes] of smallCifarFiles()) expect(readFileSync(join(folder(), f)).equals(Buffer.from(bytes)), f).toBe(true);
  expect(readdirSync(base).sort()).toEqual([CIFAR10_ARCHIVE.folder]);
}

describe('prunelab data fetch cifar10, against a local server', () => {
  it('downloads, checks the sha256 it is given, unpacks where the loader looks, and reports progress', async () => {
    const progress: DownloadProgress[] = [];
    const r = await fetchDataset('cifar10', { url: server.url(), sha256, onProgress: (p) => progress.push(p) });
    expect(r).toMatchObject({ folder: folder(), present: false, sha256, bytes: archive.length, resumedFrom: 0 });
    expect(r.md5).toMatch(/^[0-9a-f]{32}$/);
    expectUnpacked();
    expect(progress[0]).toEqual({ received: 0, total: archive.length });
    expect(progress.at(-1)).toEqual({ received: archive.length, total: archive.length });
    // The loader finds it through PRUNELAB_DATA, and the listing says it is there.
    expect(listDatasets().find((d) => d.name === 'cifar10')).toMatchObject({ available: true });
    const ds = await loadDataset({ name: 'cifar10', valSize: 2 });
    expect(ds.pools.map((p) => p.n)).toEqual([5 * SMALL_CIFAR_RECORDS, SMALL_CIFAR_RECORDS]);
    expect(ds.pools[0]!.y[SMALL_CIFAR_RECORDS]).toBe(2); // data_batch_2, record 0: (2 + 0) % 10
    // Run again: the files are there, nothing is downloaded.
    const again = await fetchDataset('cifar10', { url: server.url(), sha256 });
    expect(again).toEqual({ folder: folder(), present: true });
    expect(server.requests).toHaveLength(1);
  });

  it('an interrupted download keeps what arrived and says to run again; the next run resumes with a Range request', async () => {
    const cut = Math.floor(archive.length / 2);
    server.plan.push({ kind: 'cut', bytes: cut });
    const e = await caught(() => fetchDataset('cifar10', { url: server.url(), sha256 }));
    expect(e.code).toBe('E_DATASET_MISSING');
    expect(e.message).toContain(`stopped after ${cut.toLocaleString('en-US')} of ${archive.length.toLocaleString('en-US')} bytes`);
    expect(e.message).toContain('run the same command again: it resumes where it stopped');
    expect(statSync(part()).size).toBe(cut);
    expect(existsSync(folder())).toBe(false);

    const r = await fetchDataset('cifar10', { url: server.url(), sha256 });
    expect(server.requests.map((q) => q.headers.range)).toEqual([undefined, `bytes=${cut}-`]);
    expect(r).toMatchObject({ present: false, resumedFrom: cut, bytes: archive.length, sha256 });
    expectUnpacked();
  });

  it('a server that ignores Range starts the file over; one that has nothing after the end (416) means it is whole', async () => {
    writeFileSync(
      part(),
      archive.subarray(0, 100).map((b) => b ^ 0xff),
    ); // wrong bytes: only a restart can fix them
    server.plan.push({ kind: 'no-range' });
    expect(await fetchDataset('cifar10', { url: server.url(), sha256 })).toMatchObject({ resumedFrom: 0, sha256 });
    expectUnpacked();

    rmSync(folder(), { recursive: true });
    writeFileSync(part(), archive);
    expect(await fetchDataset('cifar10', { url: server.url(), sha256 })).toMatchObject({ resumedFrom: archive.length, sha256 });
    expect(server.requests.at(-1)?.headers.range).toBe(`bytes=${archive.length}-`);
    expectUnpacked();
  });

  it('a corrupt download is a clear error: it names the file and both digests, deletes it, and unpacks nothing', async () => {
    const bad = Buffer.from(archive);
    bad[bad.length >> 1]! ^= 0x01;
    server.body = bad;
    const e = await caught(() => fetchDataset('cifar10', { url: server.url(), sha256 }));
    expect(e.code).toBe('E_DATASET_CORRUPT');
    expect(e.details.file).toBe(part());
    expect(e.message).toContain(`expected ${sha256}, found ${sha256Hex(bad)}`);
    expect(e.message).toContain('was deleted: run the command again');
    expect(readdirSync(base)).toEqual([]);

    // Without --sha256 the official md5 is expected: a file that is not the official one fails it, and the fix names --sha256.
    server.body = archive;
    const official = await caught(() => fetchDataset('cifar10', { url: server.url() }));
    expect(official.message).toMatch(new RegExp(`md5 of the downloaded archive .*: expected ${CIFAR10_ARCHIVE.md5}, found [0-9a-f]{32}`));
    expect(official.message).toContain('--sha256');
    expect(readdirSync(base)).toEqual([]);
  });

  it('a file that matches its checksum but is not the CIFAR-10 archive is deleted with an error naming what is missing', async () => {
    const { tarGz } = await import('../test-utils/tar.js');
    const other = tarGz([{ name: 'cifar-10-batches-bin/data_batch_1.bin', body: new Uint8Array(3073) }]);
    server.body = other;
    const e = await caught(() => fetchDataset('cifar10', { url: server.url(), sha256: sha256Hex(other) }));
    expect(e.code).toBe('E_DATASET_CORRUPT');
    expect(e.message).toContain('found no cifar-10-batches-bin/data_batch_2.bin');
    expect(e.message).toContain('is not the cifar10 archive prunelab expects; it was deleted');
    expect(readdirSync(base)).toEqual([]);
  });

  it('follows redirects; HTTP errors, a refused connection, a bad --sha256 and a dataset it does not download are user errors', async () => {
    await fetchDataset('cifar10', { url: server.url('/moved'), sha256 });
    expectUnpacked();
    rmSync(folder(), { recursive: true });

    server.plan.push({ kind: 'status', status: 503 });
    const http = await caught(() => fetchDataset('cifar10', { url: server.url(), sha256 }));
    expect(http.code).toBe('E_DATASET_MISSING');
    expect(http.message).toContain(`${server.url()} answered HTTP 503`);
    expect((await caught(() => fetchDataset('cifar10', { url: server.url('/nothing') }))).message).toContain('answered HTTP 404');
    expect((await caught(() => fetchDataset('cifar10', { url: 'http://127.0.0.1:1/x.tar.gz' }))).message).toMatch(
      /cannot download http:\/\/127\.0\.0\.1:1\/x\.tar\.gz: .*ECONNREFUSED/,
    );
    expect((await caught(() => fetchDataset('cifar10', { url: 'ftp://example.org/x.tar.gz' }))).message).toContain('only http and https');

    const sha = await caught(() => fetchDataset('cifar10', { url: server.url(), sha256: 'abc' }));
    expect(sha.code).toBe('E_CONFIG_INVALID');
    expect(sha.message).toBe('--sha256: not a sha256 digest (got "abc"). Give 64 hexadecimal digits, as sha256sum prints them');
    expect((await caught(() => fetchDataset('fashion-mnist'))).message).toBe(
      'prunelab does not download fashion-mnist: get it with `apt-get install dataset-fashion-mnist`. Datasets it downloads: cifar10',
    );
    expect((await caught(() => fetchDataset('cifar100'))).message).toMatch(/unknown dataset "cifar100". Valid dataset names: cifar10/);
  });

  it('--dir unpacks into another data folder; files already there are kept unless --force', async () => {
    const other = join(base, 'elsewhere');
    mkdirSync(join(other, CIFAR10_ARCHIVE.folder), { recursive: true });
    writeFileSync(join(other, CIFAR10_ARCHIVE.folder, 'notes.txt'), 'mine');
    const r = await fetchDataset('cifar10', { url: server.url(), sha256, dir: other });
    expect(r.folder).toBe(join(other, CIFAR10_ARCHIVE.folder));
    expect(readFileSync(join(r.folder, 'notes.txt'), 'utf8')).toBe('mine');
    expect(await fetchDataset('cifar10', { url: server.url(), sha256, dir: other })).toMatchObject({ present: true });
    expect(await fetchDataset('cifar10', { url: server.url(), sha256, dir: other, force: true })).toMatchObject({ present: false });
    expect(server.requests).toHaveLength(2);
  });
});
