import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isPrunelabError, PrunelabError, unknownNameError } from '@prunelab/core';
import { cifarRecordCount } from '../cifar-format.js';
import { CIFAR10_ARCHIVE } from '../cifar10.js';
import { dataDir } from '../data-dir.js';
import { corruptError, missingError } from '../errors.js';
import { fileExists } from '../files.js';
import { datasetRegistry } from '../registry.js';
import { download, type DownloadProgress } from './download.js';
import { extractTarGz } from './tar.js';

/** A dataset `prunelab data fetch` can download: one gzipped tar archive that unpacks to `folder`. */
interface Source {
  readonly url: string;
  /** The checksum the official page publishes for the archive. */
  readonly md5: string;
  readonly folder: string;
  readonly files: readonly string[];
  /** Throws a corrupt error when an unpacked file cannot be what it should. */
  check(path: string): void;
}

const SOURCES: Readonly<Record<string, Source>> = {
  cifar10: { ...CIFAR10_ARCHIVE, check: (path) => void cifarRecordCount(statSync(path).size, path) },
};

/** The datasets `prunelab data fetch` can download. */
export const FETCHABLE: readonly string[] = Object.keys(SOURCES);

export interface FetchOptions {
  /** Download from this address instead of the official one (a mirror). */
  readonly url?: string;
  /** The sha256 to expect instead of the official md5: for a file that is not the official one. */
  readonly sha256?: string;
  /** The data folder to unpack into; default: dataDir() ($PRUNELAB_DATA). */
  readonly dir?: string;
  /** Download again even when the files are there. */
  readonly force?: boolean;
  readonly onProgress?: (p: DownloadProgress) => void;
  readonly idleTimeoutMs?: number;
}

export interface FetchResult {
  /** The folder that holds the dataset's files. */
  readonly folder: string;
  /** True when the files were there already and nothing was downloaded. */
  readonly present: boolean;
  /** Of the archive, when one was downloaded. */
  readonly md5?: string;
  readonly sha256?: string;
  readonly bytes?: number;
  /** Bytes kept from an interrupted earlier attempt (0 for a fresh download). */
  readonly resumedFrom?: number;
}

/**
 * Downloads a dataset's archive into the data folder, verifies it (the
 * official md5, or the sha256 the user gives for another file), and unpacks
 * it where the loader looks (`<data folder>/<folder>`). The archive is kept
 * as `<name>.part` until it is verified and unpacked, so an interrupted
 * download resumes on the next call; a damaged one is deleted, with an error
 * that says so. Only the user asks for this: loading never downloads.
 */
export async function fetchDataset(name: string, o: FetchOptions = {}): Promise<FetchResult> {
  const source = sourceFor(name);
  if (o.sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(o.sha256)) {
    throw new PrunelabError('E_CONFIG_INVALID', 'not a sha256 digest', {
      path: '--sha256',
      value: o.sha256,
      fix: 'Give 64 hexadecimal digits, as sha256sum prints them',
    });
  }
  const base = o.dir ?? dataDir();
  const folder = join(base, source.folder);
  if (!o.force && source.files.every((f) => fileExists(join(folder, f)))) return { folder, present: true };
  mkdirSync(base, { recursive: true });
  const url = o.url ?? source.url;
  const archive = join(base, `${basename(new URL(url).pathname) || `${name}.tar.gz`}.part`);
  const got = await download(url, archive, {
    ...(o.onProgress && { onProgress: o.onProgress }),
    ...(o.idleTimeoutMs !== undefined && { idleTimeoutMs: o.idleTimeoutMs }),
  });
  const digests = await fileDigests(archive);
  const [kind, expected, found] = o.sha256 !== undefined ? ['sha256', o.sha256.toLowerCase(), digests.sha256] : ['md5', source.md5, digests.md5];
  if (found !== expected) {
    unlinkSync(archive);
    throw corruptError(
      archive,
      `${kind} of the downloaded archive (${got.size.toLocaleString('en-US')} bytes, from ${url})`,
      expected,
      found,
      'The download is damaged or is not the expected file, and was deleted: run the command again. ' +
        `For a mirror that serves another file, give the ${o.sha256 !== undefined ? 'right ' : ''}sha256 of that file with --sha256`,
    );
  }
  try {
    await unpack(source, archive, base, folder);
  } catch (e) {
    // A checked archive that does not unpack would fail the same way when resumed: start clean next time.
    unlinkSync(archive);
    if (isPrunelabError(e)) {
      throw new PrunelabError(e.code, e.problem, {
        ...e.details,
        fix: `The archive matched its ${kind} but is not the ${name} archive prunelab expects; it was deleted. Check --url and --sha256`,
      });
    }
    throw missingError(
      `cannot unpack ${archive} into ${base}: ${(e as Error).message}`,
      'check that the data folder is writable and has room (CIFAR-10 takes about 180 MB), then run the command again',
      archive,
    );
  }
  unlinkSync(archive);
  return { folder, present: false, md5: digests.md5, sha256: digests.sha256, bytes: got.size, resumedFrom: got.resumedFrom };
}

function sourceFor(name: string): Source {
  const source = SOURCES[name];
  if (source) return source;
  const entry = datasetRegistry.has(name) ? datasetRegistry.get(name) : undefined;
  if (!entry) throw unknownNameError('dataset', name, FETCHABLE);
  const how = entry.obtain ? `get it with \`${entry.obtain}\`` : 'it is generated, not downloaded';
  throw new PrunelabError('E_UNKNOWN_NAME', `prunelab does not download ${name}: ${how}`, { fix: `Datasets it downloads: ${FETCHABLE.join(', ')}` });
}

/** md5 and sha256 of a file, in one read. */
function fileDigests(path: string): Promise<{ md5: string; sha256: string }> {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  return new Promise((resolve, reject) => {
    createReadStream(path)
      .on('data', (chunk) => {
        md5.update(chunk);
        sha.update(chunk);
      })
      .on('error', reject)
      .on('end', () => resolve({ md5: md5.digest('hex'), sha256: sha.digest('hex') }));
  });
}

/**
 * Unpacks the archive's files into a staging folder beside the target, checks
 * that every required file came out whole, and only then moves them into
 * `folder`: a failed unpack leaves what was there before.
 */
async function unpack(source: Source, archive: string, base: string, folder: string): Promise<void> {
  const staging = mkdtempSync(join(base, `.fetch-${source.folder}-`));
  try {
    const wanted = new Set(source.files.map((f) => `${source.folder}/${f}`));
    const written = await extractTarGz(archive, staging, (n) => wanted.has(n));
    const missing = [...wanted].filter((n) => !written.includes(n));
    if (missing.length > 0) throw corruptError(archive, 'files in the archive', [...wanted].join(', '), `no ${missing.join(', ')}`);
    for (const n of wanted) source.check(join(staging, n));
    mkdirSync(folder, { recursive: true });
    for (const f of source.files) renameSync(join(staging, source.folder, f), join(folder, f));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
