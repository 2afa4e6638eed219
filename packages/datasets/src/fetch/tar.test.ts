import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { caught } from '../test-utils/builders.js';
import { tarArchive, tarGz, type TarMember } from '../test-utils/tar.js';
import { extractTarGz } from './tar.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'prunelab-tar-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (bytes: Buffer): string => {
  const p = join(dir, 'a.tar.gz');
  writeFileSync(p, bytes);
  return p;
};
const out = () => join(dir, 'out');

describe('extractTarGz', () => {
  it('writes regular files (bodies of odd lengths, one over 512 bytes), skips directories and links, and filters by name', async () => {
    const big = Uint8Array.from({ length: 1500 }, (_, i) => i % 251);
    const members: TarMember[] = [
      { name: 'top/', type: '5' },
      { name: 'top/a.bin', body: big },
      { name: 'top/b.txt', body: 'hello' },
      { name: 'top/link', type: '2' },
      { name: 'top/skip.txt', body: 'x' },
    ];
    const names = await extractTarGz(write(tarGz(members)), out(), (n) => n !== 'top/skip.txt');
    expect(names).toEqual(['top/a.bin', 'top/b.txt']);
    expect(readFileSync(join(out(), 'top/a.bin')).equals(Buffer.from(big))).toBe(true);
    expect(readFileSync(join(out(), 'top/b.txt'), 'utf8')).toBe('hello');
    expect(existsSync(join(out(), 'top/skip.txt'))).toBe(false);
  });

  it('takes a GNU long name and a pax path for the next member', async () => {
    const long = `${'d'.repeat(120)}/file.bin`;
    const record = `path=${long}\n`;
    const pax = `${record.length + 4} ${record}`; // "<len> path=...\n", len counting itself (3 digits and a space)
    expect(pax.length).toBe(record.length + 4);
    const members: TarMember[] = [
      { name: '././@LongLink', type: 'L', body: `${long}\0` },
      { name: 'truncated-name', body: 'one' },
      { name: 'PaxHeaders/x', type: 'x', body: pax },
      { name: 'short', body: 'two' },
    ];
    const names = await extractTarGz(write(tarGz(members)), out());
    expect(names).toEqual([long, long]);
    expect(readFileSync(join(out(), long), 'utf8')).toBe('two');
  });

  it('refuses names that leave the folder, a damaged header, a truncated archive and a damaged gzip stream', async () => {
    for (const name of ['../evil', '/etc/evil', 'a/../../evil']) {
      const e = await caught(() => extractTarGz(write(tarGz([{ name, body: 'x' }])), out()));
      expect(e.code).toBe('E_DATASET_CORRUPT');
      expect(e.message).toContain('archive entry name: expected a relative path inside the archive');
    }
    expect(existsSync(join(dir, 'evil'))).toBe(false);

    const tar = tarArchive([{ name: 'a', body: 'abc' }]);
    tar[0] = 'b'.charCodeAt(0); // the name changes, the stored checksum does not
    expect((await caught(() => extractTarGz(write(gzipSync(tar)), out()))).message).toMatch(/tar header checksum: expected \d+, found \d+/);

    const cut = tarArchive([{ name: 'a', body: Buffer.alloc(2000, 7) }]).subarray(0, 1024);
    expect((await caught(() => extractTarGz(write(gzipSync(cut)), out()))).message).toMatch(/archive ends inside a: expected 2000 bytes of it, found 512/);

    const gz = tarGz([{ name: 'a', body: 'abc' }]);
    gz[gz.length - 6]! ^= 0xff; // inside the CRC-32 trailer
    const e = await caught(() => extractTarGz(write(gz), out()));
    expect(e.code).toBe('E_DATASET_CORRUPT');
    expect(e.message).toContain('gzip stream is damaged');
  });
});
