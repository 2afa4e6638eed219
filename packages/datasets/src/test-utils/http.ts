import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CIFAR10_ARCHIVE } from '../cifar10.js';
import { cifarRecords } from './builders.js';
import { tarGz } from './tar.js';

/** Records per file of the small CIFAR-10 archive, and their labels: file f (1-5 train, 6 test), record r -> (f + r) % 10. */
export const SMALL_CIFAR_RECORDS = 3;

/** The files of the small archive, by name, as the loader expects them. */
export function smallCifarFiles(): Map<string, Uint8Array> {
  return new Map(CIFAR10_ARCHIVE.files.map((f, i) => [f, cifarRecords(Array.from({ length: SMALL_CIFAR_RECORDS }, (_, r) => (i + 1 + r) % 10))]));
}

/** cifar-10-binary.tar.gz in the real layout (the folder, the six batch files, the meta and readme files), a few records per batch. */
export function smallCifarArchive(): Buffer {
  const folder = CIFAR10_ARCHIVE.folder;
  return tarGz([
    { name: `${folder}/`, type: '5' },
    { name: `${folder}/batches.meta.txt`, body: 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n' },
    ...[...smallCifarFiles()].map(([f, body]) => ({ name: `${folder}/${f}`, body })),
    { name: `${folder}/readme.html`, body: '<meta HTTP-EQUIV="REFRESH" content="0; URL=http://www.cs.toronto.edu/~kriz/cifar.html">' },
  ]);
}

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** What the test server does with the next request to the archive. */
export type Behaviour =
  /** Serve it, honouring Range. */
  | { kind: 'serve' }
  /** Send the headers for the whole reply, then `bytes` of the body, then drop the connection. */
  | { kind: 'cut'; bytes: number }
  /** Ignore Range: always the whole file with 200. */
  | { kind: 'no-range' }
  | { kind: 'status'; status: number };

/**
 * An HTTP server on 127.0.0.1 serving one file at /cifar-10-binary.tar.gz (and
 * a redirect to it at /moved), recording every request's path and headers.
 */
export class ArchiveServer {
  readonly requests: Array<{ path: string; headers: IncomingHttpHeaders }> = [];
  /** Behaviours for the next requests, first first; once empty, 'serve'. */
  readonly plan: Behaviour[] = [];
  private server: Server | undefined;
  private port = 0;

  constructor(public body: Buffer) {}

  url(path = '/cifar-10-binary.tar.gz'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.requests.push({ path: req.url ?? '', headers: req.headers });
      if (req.url === '/moved') {
        res.writeHead(302, { location: '/cifar-10-binary.tar.gz' }).end();
        return;
      }
      if (req.url !== '/cifar-10-binary.tar.gz') {
        res.writeHead(404).end();
        return;
      }
      const b = this.plan.shift() ?? { kind: 'serve' };
      const body = this.body;
      if (b.kind === 'status') {
        res.writeHead(b.status).end();
        return;
      }
      if (b.kind === 'cut') {
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, b.bytes), () => res.destroy());
        return;
      }
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (m && b.kind === 'serve') {
        const from = Number(m[1]);
        if (from >= body.length) {
          res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
          return;
        }
        res.writeHead(206, { 'content-length': body.length - from, 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` });
        res.end(body.subarray(from));
        return;
      }
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
