import type { NodeTestOutcome, NodeTestStatus } from './run-node-test.js';

const statuses: readonly NodeTestStatus[] = ['PASS', 'WRONG', 'REFUSED', 'CRASH'];

/**
 * A printable report of one backend's run: the count of each status, then for every op with at least one
 * passing test, `passing / tests of that op` (the figures the package README lists).
 */
export function nodeTestReport(label: string, outcomes: readonly NodeTestOutcome[]): string {
  const counts = statuses.map(
    (status) => `${status} ${outcomes.filter((outcome) => outcome.status === status).length}`,
  );
  const byOp = new Map<string, { passed: number; total: number }>();
  for (const outcome of outcomes) {
    const entry = byOp.get(outcome.op) ?? { passed: 0, total: 0 };
    entry.total++;
    if (outcome.status === 'PASS') entry.passed++;
    byOp.set(outcome.op, entry);
  }
  const passingOps = [...byOp]
    .filter(([, entry]) => entry.passed > 0)
    .sort(([left], [right]) => left.localeCompare(right))
    .map(([op, entry]) => `${op} ${entry.passed}/${entry.total}`);
  return `ONNX node tests on ${label}: ${outcomes.length} tests, ${counts.join(', ')}\n  passing by op: ${passingOps.join(', ')}`;
}
