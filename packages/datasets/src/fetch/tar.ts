import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { isPrunelabError } from '@prunelab/core';
import { corruptError } from '../errors.js';

/**
 * Extracts the regular files of a gzipped tar archive into `dir`, streaming:
 * POSIX ustar headers (IEEE 1003.1-2001 `pax` format), with GNU long names
 * ('L') and pax `path` records, which is what GNU tar writes. Only regular
 * files whose name `accept` takes are written; directories are made as
 * needed; links and devices are skipped. A name that is absolute or climbs
 * out with `..` is refused, so an archive cannot write outside `dir`.
 * gzip's CRC and each header's checksum catch damage. Returns the names
 * written, relative to `dir`.
 */
export async function extractTarGz(archive: string, dir: string, accept: (name: string) => boolean = () => true): Promise<string[]> {
  const parser = new TarParser(archive, dir, accept);
  const gunzip = createReadStream(archive).pipe(createGunzip());
  try {
    for await (const chunk of gunzip) parser.push(chunk as Buffer);
  } catch (e) {
    if (isPrunelabError(e)) throw e;
    throw corruptError(
      archive,
      'gzip stream is damaged',
      'a complete gzip stream with a valid CRC',
      (e as Error).message,
      'The archive is damaged: delete it and download it again',
    );
  }
  parser.finish();
  return parser.written;
}

const BLOCK = 512;

interface Entry {
  readonly name: string;
  readonly type: string;
  readonly size: number;
}

class TarParser {
  readonly written: string[] = [];
  private pending: Buffer = Buffer.alloc(0);
  /** The entry whose body is being read, its chunks, and the bytes of body (and padding) still to come. */
  private entry: Entry | undefined;
  private chunks: Buffer[] = [];
  private bodyLeft = 0;
  private padLeft = 0;
  private longName: string | undefined;
  private ended = false;

  constructor(
    private readonly archive: string,
    private readonly dir: string,
    private readonly accept: (name: string) => boolean,
  ) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.ended) return;
      if (this.entry) {
        if (this.bodyLeft > 0) {
          if (this.pending.length === 0) return;
          const take = Math.min(this.bodyLeft, this.pending.length);
          this.chunks.push(this.pending.subarray(0, take));
          this.pending = this.pending.subarray(take);
          this.bodyLeft -= take;
          if (this.bodyLeft > 0) return;
        }
        if (this.padLeft > 0) {
          const take = Math.min(this.padLeft, this.pending.length);
          this.pending = this.pending.subarray(take);
          this.padLeft -= take;
          if (this.padLeft > 0) return;
        }
        this.complete(this.entry, Buffer.concat(this.chunks));
        this.entry = undefined;
        this.chunks = [];
        continue;
      }
      if (this.pending.length < BLOCK) return;
      const header = this.pending.subarray(0, BLOCK);
      this.pending = this.pending.subarray(BLOCK);
      if (header.every((b) => b === 0)) {
        // The end-of-archive marker (two zero blocks; the first is enough to stop).
        this.ended = true;
        return;
      }
      const e = this.header(header);
      this.entry = e;
      this.bodyLeft = e.size;
      this.padLeft = (BLOCK - (e.size % BLOCK)) % BLOCK;
    }
  }

  finish(): void {
    if (this.entry)
      throw corruptError(
        this.archive,
        `archive ends inside ${this.entry.name}`,
        `${this.entry.size} bytes of it`,
        `${this.entry.size - this.bodyLeft}`,
        'The archive is truncated: delete it and download it again',
      );
    if (!this.ended && this.pending.length > 0)
      throw corruptError(
        this.archive,
        'archive ends inside a header',
        `${BLOCK} bytes`,
        this.pending.length,
        'The archive is truncated: delete it and download it again',
      );
  }

  private header(h: Buffer): Entry {
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    const stored = octal(h, 148, 8);
    if (stored !== sum)
      throw corruptError(this.archive, 'tar header checksum', stored, sum, 'The archive is damaged or is not a tar file: delete it and download it again');
    const ustar = h.toString('latin1', 257, 262) === 'ustar';
    const base = text(h, 0, 100);
    const prefix = ustar ? text(h, 345, 155) : '';
    const name = this.longName ?? (prefix ? `${prefix}/${base}` : base);
    this.longName = undefined;
    return { name, type: String.fromCharCode(h[156]!), size: size(h) };
  }

  private complete(e: Entry, body: Buffer): void {
    switch (e.type) {
      case 'L': // GNU long name of the next entry
        this.longName = body.toString('utf8').replace(/\0.*$/s, '');
        return;
      case 'x': {
        // pax extended header: "<length> <key>=<value>\n" records; `path` names the next entry.
        const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
        if (path) this.longName = path[1];
        return;
      }
      case '0':
      case '\0':
      case '7': {
        const name = safeName(e.name, this.archive);
        if (!this.accept(name)) return;
        const to = join(this.dir, name);
        mkdirSync(dirname(to), { recursive: true });
        writeFileSync(to, body);
        this.written.push(name);
        return;
      }
      default: // directories (made as files need them), global pax headers, links, devices
        return;
    }
  }
}

function text(h: Buffer, at: number, len: number): string {
  const s = h.subarray(at, at + len);
  const end = s.indexOf(0);
  return s.toString('utf8', 0, end < 0 ? len : end);
}

function octal(h: Buffer, at: number, len: number): number {
  const s = text(h, at, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

/** The size field: octal, or GNU's base-256 (high bit of the first byte set) for files of 8 GiB and more. */
function size(h: Buffer): number {
  if ((h[124]! & 0x80) === 0) return octal(h, 124, 12);
  let n = h[124]! & 0x7f;
  for (let i = 125; i < 136; i++) n = n * 256 + h[i]!;
  return n;
}

/** `a/./b/` -> `a/b`; an absolute name or one with `..` is refused. */
function safeName(name: string, archive: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (name.startsWith('/') || parts.includes('..') || parts.length === 0) {
    throw corruptError(
      archive,
      'archive entry name',
      'a relative path inside the archive',
      name,
      'The archive is not the expected one: delete it and download it again',
    );
  }
  return parts.join('/');
}
