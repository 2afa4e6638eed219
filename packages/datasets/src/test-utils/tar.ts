import { gzipSync } from 'node:zlib';

/** One archive member: a regular file (type '0'), a directory ('5'), or a raw type with its body (e.g. 'L', 'x', '2'). */
export interface TarMember {
  readonly name: string;
  readonly body?: Uint8Array | string;
  readonly type?: string;
}

/**
 * A POSIX ustar archive as GNU tar writes it (512-byte headers with octal
 * fields and a checksum, bodies padded to 512, two zero blocks at the end),
 * built here so tests need neither tar nor the network.
 */
export function tarArchive(members: readonly TarMember[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const body = typeof m.body === 'string' ? Buffer.from(m.body) : Buffer.from(m.body ?? new Uint8Array(0));
    const h = Buffer.alloc(512);
    h.write(m.name.slice(0, 100), 0, 'utf8');
    h.write('0000644\0', 100);
    h.write('0001750\0', 108);
    h.write('0001750\0', 116);
    h.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('14000000000\0', 136);
    h.write(m.type ?? '0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export function tarGz(members: readonly TarMember[]): Buffer {
  return gzipSync(tarArchive(members));
}
