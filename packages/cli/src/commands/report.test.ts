import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { HOSTILE_DESCRIPTION, runTinySweep } from '../test-utils/tiny-sweep.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '../../../../.vitest-artifacts');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`report browser test skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);

let dir: string;
let page: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prunelab-cli-report-'));
  const { database } = await runTinySweep(dir);
  page = join(dir, 'tiny.html');
  const code = await main(['report', '--sweep', 'tiny', '--db', database, '--out', page]);
  expect(code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('report', () => {
  it('writes one page with no scripts and the config escaped', () => {
    const html = readFileSync(page, 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;window.__pwned = 1&lt;/script&gt;');
  });
});

describe.skipIf(!haveChromium)('report in a real browser (chromium, offline)', () => {
  it('shows one line per strategy, full tables, and the hostile config as text', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    try {
      const context = await browser.newContext({ offline: true, viewport: { width: 1300, height: 900 } });
      const tab = await context.newPage();
      const requests: string[] = [];
      tab.on('request', (r) => requests.push(r.url()));
      const errors: string[] = [];
      tab.on('pageerror', (e) => errors.push(e.message));
      await tab.goto(pathToFileURL(page).href);

      // Everything the page needed came from the file itself.
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
      expect(errors).toEqual([]);

      const plot = tab.locator('figure.plot[data-x="sparsity"][data-metric="accuracy"]');
      await expect(plot.locator('svg').count()).resolves.toBe(1);
      expect(await plot.locator('g.mark-line path').count()).toBe(2);
      expect(await tab.locator('figure.plot').count()).toBe(3);
      for (const table of await tab.locator('table.compare').all()) expect(await table.locator('tbody tr').count()).toBe(2);
      expect(await tab.locator('table.compare').count()).toBe(2);
      expect(await tab.locator('table.heatmap').count()).toBe(2);
      expect(await tab.locator('table.runs tbody tr').count()).toBe(4);
      expect(await tab.locator('section#failed p.none').count()).toBe(1);

      // The description is on the page as text, and nothing ran.
      expect(await tab.locator('pre.yaml').textContent()).toContain(HOSTILE_DESCRIPTION);
      expect(await tab.locator('script').count()).toBe(0);
      // Evaluated in the page, where globalThis is the window.
      expect(await tab.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();

      mkdirSync(ARTIFACTS, { recursive: true });
      await tab.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
      expect(existsSync(join(ARTIFACTS, 'report.png'))).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
