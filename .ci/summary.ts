// Reads vitest's JSON report and prints one line: "N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';

interface FileResult {
  status: string;
  name: string;
  assertionResults: { status: string }[];
}
interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: FileResult[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: summary.ts <vitest-json-report>');
const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
// A file that fails to load (syntax error, failing hook) has no failed test in it, but it failed.
const brokenFiles = report.testResults.filter(
  (r) => r.status === 'failed' && !r.assertionResults.some((a) => a.status === 'failed'),
).length;
const failed = report.numFailedTests + brokenFiles;
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`${report.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
