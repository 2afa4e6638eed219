import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// scripts/test-summary.mjs prints .ci/run's last line, "N passed, N failed", from Vitest's JSON report.
const SCRIPT = resolve(import.meta.dirname, '../../../scripts/test-summary.mjs');
const dir = mkdtempSync(join(tmpdir(), 'prunelab-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function summarise(report: unknown): { line: string; rc: number } {
  const file = join(dir, 'report.json');
  writeFileSync(file, JSON.stringify(report));
  try {
    return { line: execFileSync('node', [SCRIPT, file], { encoding: 'utf8' }).trim(), rc: 0 };
  } catch (e) {
    const err = e as { stdout: string; status: number };
    return { line: err.stdout.trim(), rc: err.status };
  }
}

const file = (status: string, tests: string[]): unknown => ({ status, assertionResults: tests.map((s) => ({ status: s })) });

describe('test-summary', () => {
  it('counts one failing test once, not once per describe block around it', () => {
    // Vitest's numFailedTestSuites is 3 here: the file and two nested describes.
    const r = summarise({
      numPassedTests: 4,
      numFailedTests: 1,
      numFailedTestSuites: 3,
      testResults: [file('failed', ['passed', 'failed']), file('passed', ['passed'])],
    });
    expect(r).toEqual({ line: '4 passed, 1 failed', rc: 1 });
  });

  it('counts a file that failed without running a test (an import error) as a failure', () => {
    const r = summarise({
      numPassedTests: 2,
      numFailedTests: 0,
      numFailedTestSuites: 1,
      testResults: [file('failed', []), file('passed', ['passed', 'passed'])],
    });
    expect(r).toEqual({ line: '2 passed, 1 failed', rc: 1 });
  });

  it('passes a clean report and fails an empty one', () => {
    expect(summarise({ numPassedTests: 3, numFailedTests: 0, testResults: [file('passed', ['passed', 'passed', 'passed'])] })).toEqual({
      line: '3 passed, 0 failed',
      rc: 0,
    });
    expect(summarise({ numPassedTests: 0, numFailedTests: 0, testResults: [] }).rc).toBe(1);
  });
});
