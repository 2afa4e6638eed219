import { resolve } from 'node:path';
import { closestFirst, formatBytes, PrunelabError } from '@prunelab/core';
import { dataDir, fetchDataset, FETCHABLE, type DownloadProgress } from '@prunelab/datasets';
import { parse } from './args.js';
import { out } from '../output.js';
import type { Command } from './types.js';

const usage = `prunelab data fetch <dataset> [--url URL] [--sha256 HEX] [--dir DIR] [--force]

Downloads a dataset into the data folder, where runs look for it:
PRUNELAB_DATA when set, else $XDG_DATA_HOME/prunelab or ~/.local/share/prunelab.
It downloads: ${FETCHABLE.join(', ')} (CIFAR-10's binary version from its official
page, https://www.cs.toronto.edu/~kriz/cifar.html, checked against the md5 the
page publishes; its sha256 is printed too). Progress goes to stderr. When a
download is interrupted, running the same command again resumes it. Nothing
is ever downloaded unless you run this.

Options:
  --url URL       download from a mirror instead of the official address
  --sha256 HEX    the sha256 to expect, for a file that is not the official one
  --dir DIR       the data folder to unpack into (runs find it with PRUNELAB_DATA=DIR)
  --force         download again even when the files are there

Exit status: 0 when the files are in place; 2 when the download fails or the
file is damaged (the message says what to do).`;

/** Progress on stderr: redrawn in place on a terminal; elsewhere a line every 10%. */
function progressPrinter(label: string): { update(p: DownloadProgress): void; done(): void } {
  const stream = process.stderr;
  let lastTenth = -1;
  let drawn = false;
  const text = (p: DownloadProgress) =>
    p.total !== undefined && p.total > 0
      ? `${label}: ${formatBytes(p.received)} of ${formatBytes(p.total)} (${Math.floor((100 * p.received) / p.total)}%)`
      : `${label}: ${formatBytes(p.received)}`;
  return {
    update(p) {
      if (stream.isTTY) {
        stream.write(`\r\x1b[K${text(p)}`);
        drawn = true;
        return;
      }
      const tenth = p.total ? Math.floor((10 * p.received) / p.total) : Math.floor(p.received / (16 << 20));
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        stream.write(`${text(p)}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}

async function fetch(name: string, values: { url?: string; sha256?: string; dir?: string; force?: boolean }): Promise<number> {
  const dir = values.dir !== undefined ? resolve(values.dir) : undefined;
  const progress = progressPrinter(`downloading ${name}`);
  let result;
  try {
    result = await fetchDataset(name, {
      ...(values.url !== undefined && { url: values.url }),
      ...(values.sha256 !== undefined && { sha256: values.sha256 }),
      ...(dir !== undefined && { dir }),
      ...(values.force !== undefined && { force: values.force }),
      onProgress: (p) => progress.update(p),
    });
  } finally {
    progress.done();
  }
  if (result.present) {
    out(`${name} is already in ${result.folder} (--force downloads it again)`);
  } else {
    const resumed = result.resumedFrom ? `, resumed after ${formatBytes(result.resumedFrom)}` : '';
    out(`downloaded ${formatBytes(result.bytes ?? 0)}${resumed}`);
    out(`md5     ${result.md5 ?? ''}${values.sha256 === undefined ? ' (matches the official checksum)' : ''}`);
    out(`sha256  ${result.sha256 ?? ''}${values.sha256 !== undefined ? ' (matches --sha256)' : ''}`);
    out(`${name} is in ${result.folder}`);
  }
  if (dir !== undefined && dir !== resolve(dataDir()))
    out(`runs look in ${dataDir()}: set PRUNELAB_DATA=${dir} (or dataset.dir: ${result.folder}) for them to find it`);
  return 0;
}

export const dataCommand: Command = {
  name: 'data',
  summary: 'download a dataset into the data folder (data fetch cifar10), resumable and checksummed',
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      'data',
      argv,
      {
        url: { type: 'string' },
        sha256: { type: 'string' },
        dir: { type: 'string' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      2,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    const [action, name] = positionals;
    if (action !== 'fetch') {
      throw new PrunelabError('E_UNKNOWN_NAME', `data: unknown action ${JSON.stringify(action ?? '')}`, {
        fix: `Valid actions: ${closestFirst(action ?? '', ['fetch']).join(', ')}. ${usage.split('\n')[0]!}`,
      });
    }
    if (name === undefined) {
      throw new PrunelabError('E_CONFIG_INVALID', 'data fetch: name the dataset to download', {
        fix: `Datasets it downloads: ${FETCHABLE.join(', ')}, e.g. prunelab data fetch cifar10`,
      });
    }
    return fetch(name, values);
  },
};
