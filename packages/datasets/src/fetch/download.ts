import { createWriteStream, statSync, truncateSync, type WriteStream } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { missingError } from '../errors.js';

/** Bytes of a download so far, and of the whole file when the server said (undefined otherwise). */
export interface DownloadProgress {
  readonly received: number;
  readonly total: number | undefined;
}

export interface DownloadOptions {
  /** Called as bytes arrive (at most every 64 KiB and at the end). */
  readonly onProgress?: (p: DownloadProgress) => void;
  /** No byte for this long ends the attempt (resumable); default 60 s. */
  readonly idleTimeoutMs?: number;
}

export interface DownloadResult {
  /** Bytes in the file. */
  readonly size: number;
  /** Bytes that were already there from an earlier, interrupted attempt (0 for a fresh download). */
  readonly resumedFrom: number;
}

const MAX_REDIRECTS = 5;
const PROGRESS_EVERY = 1 << 16;

/**
 * Downloads `url` into `file`, resuming a partial `file` from an earlier
 * attempt with an HTTP Range request (RFC 9110 §14): a 206 reply appends from
 * where the file ends; a 200 (a server that ignores ranges) starts over; a 416
 * (nothing after the end) means the file is already whole. Redirects are
 * followed. An attempt that fails part way keeps what arrived, so running it
 * again resumes; the error says so. The caller verifies the checksum: a
 * resumed file is only as good as the bytes it kept.
 */
export async function download(url: string, file: string, o: DownloadOptions = {}): Promise<DownloadResult> {
  const start = sizeOf(file);
  let target = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await request(target, start, o.idleTimeoutMs ?? 60_000);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status >= 300 && status < 400 && location) {
      res.resume();
      target = new URL(location, target).toString();
      continue;
    }
    if (status === 416 && start > 0) {
      res.resume();
      return { size: start, resumedFrom: start };
    }
    if (status === 206 && start > 0) {
      const from = rangeStart(res.headers['content-range']);
      if (from !== start) {
        res.resume();
        throw missingError(
          `the server at ${target} answered a request for bytes from ${start} with bytes from ${String(from)}`,
          'delete the partial file and run the command again',
          file,
        );
      }
      return save(res, file, start, start + contentLength(res), o);
    }
    if (status === 200) {
      // A fresh download, or a server that ignores Range: start the file over.
      if (start > 0) truncateSync(file, 0);
      return save(res, file, 0, contentLength(res), o);
    }
    res.resume();
    throw missingError(
      `download failed: ${target} answered HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`,
      'check the address (--url gives another one) and your network, then run the command again',
    );
  }
  throw missingError(`download failed: more than ${MAX_REDIRECTS} redirects from ${url}`, 'give the final address with --url');
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function request(url: string, from: number, idleMs: number): Promise<IncomingMessage> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.reject(missingError(`${JSON.stringify(url)} is not a URL`, 'give an http:// or https:// address'));
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return Promise.reject(missingError(`cannot download ${url}: only http and https are supported`, 'give an http:// or https:// address'));
  }
  const get = u.protocol === 'https:' ? httpsGet : httpGet;
  const headers: Record<string, string> = { 'user-agent': 'prunelab', 'accept-encoding': 'identity' };
  if (from > 0) headers['range'] = `bytes=${from}-`;
  return new Promise((resolve, reject) => {
    const req = get(u, { headers }, resolve);
    req.setTimeout(idleMs, () => req.destroy(new Error(`no reply for ${idleMs / 1000} s`)));
    req.on('error', (e) =>
      reject(missingError(`cannot download ${url}: ${e.message}`, 'check your network or give a mirror with --url, then run the command again')),
    );
  });
}

/** "bytes 100-199/200" -> 100. */
function rangeStart(header: string | undefined): number | undefined {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

function contentLength(res: IncomingMessage): number {
  const n = Number(res.headers['content-length']);
  return Number.isFinite(n) && n >= 0 ? n : Number.NaN;
}

/** Streams the body to the end of `file`; on a broken connection, keeps what arrived and says how to resume. */
function save(res: IncomingMessage, file: string, start: number, expectedTotal: number, o: DownloadOptions): Promise<DownloadResult> {
  const total = Number.isNaN(expectedTotal) ? undefined : expectedTotal;
  const out: WriteStream = createWriteStream(file, { flags: start > 0 ? 'a' : 'w' });
  let received = start;
  let reported = start;
  o.onProgress?.({ received, total });
  return new Promise<DownloadResult>((resolve, reject) => {
    let failure: Error | undefined;
    const fail = (why: string) => {
      failure ??= missingError(
        `the download of ${file} stopped after ${received.toLocaleString('en-US')}${total !== undefined ? ` of ${total.toLocaleString('en-US')}` : ''} bytes (${why})`,
        'run the same command again: it resumes where it stopped',
        file,
      );
      res.destroy();
      out.end();
    };
    res.setTimeout(o.idleTimeoutMs ?? 60_000, () => fail('no data for a while'));
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (!out.write(chunk)) res.pause();
      if (received - reported >= PROGRESS_EVERY) {
        reported = received;
        o.onProgress?.({ received, total });
      }
    });
    out.on('drain', () => res.resume());
    res.on('error', (e) => fail(e.message));
    // A body cut off without an error (the server closed the socket): `complete` stays false.
    res.on('close', () => {
      if (!res.complete) fail('the connection was closed');
    });
    res.on('end', () => {
      if (total !== undefined && received < total) fail('the connection was closed early');
      else out.end();
    });
    out.on('error', (e) => {
      failure ??= missingError(`cannot write ${file}: ${e.message}`, 'check that the data folder is writable and has room', file);
      res.destroy();
    });
    // Everything written is on disk once the stream closes: only then is a retry safe to resume from it.
    out.on('close', () => {
      if (failure) reject(failure);
      else {
        o.onProgress?.({ received, total });
        resolve({ size: received, resumedFrom: start });
      }
    });
  });
}
