// Prints "N passed, N failed" from Vitest's JSON report, alone on its line.
// Exits 1 when any test failed or when the report is missing (a run that never
// reached the tests must not look green).
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'results/test-report.json';
if (!existsSync(file)) {
  console.log('0 passed, 1 failed');
  console.error(`test-summary: ${file} is missing: the test run did not complete`);
  process.exit(1);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
const passed = r.numPassedTests ?? 0;
// A file that failed without a failing test (it did not import, or a hook threw) counts once.
// numFailedTestSuites is not used: it also counts every describe block around a failed test, so
// one failing test read as "4 failed".
const brokenFiles = (r.testResults ?? []).filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed')).length;
const failed = (r.numFailedTests ?? 0) + brokenFiles;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
