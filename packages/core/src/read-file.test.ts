import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileProblem, formatBytes, readRegularFile } from './read-file.js';

const dir = mkdtempSync(join(tmpdir(), 'prunelab-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readRegularFile', () => {
  it('reads a regular file, and one through a symlink', () => {
    writeFileSync(join(dir, 'a.yaml'), 'name: a\n');
    symlinkSync(join(dir, 'a.yaml'), join(dir, 'link.yaml'));
    for (const f of ['a.yaml', 'link.yaml']) {
      const r = readRegularFile(join(dir, f), 100);
      expect(r.ok && r.bytes.toString()).toBe('name: a\n');
    }
  });

  it('refuses folders, devices and named pipes without opening them for a blocking read', () => {
    mkdirSync(join(dir, 'folder'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect(readRegularFile(join(dir, 'folder'), 100)).toEqual({ ok: false, problem: 'is a folder, not a file' });
    expect(readRegularFile('/dev/zero', 100)).toEqual({ ok: false, problem: 'is a character device, not a regular file' });
    // Opening a FIFO for reading blocks until a writer appears: the check must come first.
    expect(readRegularFile(join(dir, 'fifo'), 100)).toEqual({ ok: false, problem: 'is a named pipe, not a regular file' });
    expect(readRegularFile(join(dir, 'missing'), 100)).toEqual({ ok: false, problem: 'not found' });
    expect(fileProblem(join(dir, 'a.yaml', 'below-a-file'), 100)).toBe('not found');
  });

  it('refuses a file over the limit, and reads one exactly at it', () => {
    writeFileSync(join(dir, 'big'), Buffer.alloc(101, 120));
    writeFileSync(join(dir, 'fits'), Buffer.alloc(100, 120));
    expect(readRegularFile(join(dir, 'big'), 100)).toEqual({ ok: false, problem: 'is 101 bytes, more than the 100 bytes limit' });
    const fits = readRegularFile(join(dir, 'fits'), 100);
    expect(fits.ok && fits.bytes.length).toBe(100);
  });

  it('reads files that report size 0 but have content (/proc), within the limit', () => {
    const r = readRegularFile('/proc/self/status', 1 << 20);
    expect(r.ok && r.bytes.toString()).toMatch(/^Name:/);
    expect(readRegularFile('/proc/self/status', 10)).toEqual({ ok: false, problem: 'is larger than the 10 bytes limit' });
  });

  it('formats sizes', () => {
    expect([formatBytes(5), formatBytes(1024), formatBytes(1536), formatBytes(1 << 20)]).toEqual(['5 bytes', '1 KiB', '1.5 KiB', '1 MiB']);
  });
});
