import { describe, it } from 'vitest';
import type { GraceBackend } from '../backend.js';
import type { ConformanceCase, ConformanceOptions } from './conformance-case.js';
import { conformanceCases } from './conformance-cases.js';

/** Options of {@link runBackendConformance}. */
export interface RunBackendConformanceOptions extends ConformanceOptions {
  /** Title of the outer `describe`, e.g. the backend's name when one test file checks several. */
  readonly title?: string;
  /** Per-case timeout in milliseconds, for slow backends (software GPU adapters); vitest's default otherwise. */
  readonly timeoutMs?: number;
}

/**
 * Registers the conformance suite with vitest: one `describe` per suite, one `it` per case.
 *
 * Every case gets a fresh backend from `makeBackend`, so that no case can pass or fail because of what an
 * earlier one left behind (leaked tensors, a device lost after an error), and any failure reproduces with
 * that case alone. Call it at the top level of a test file:
 * `runBackendConformance(() => createCpuBackend())`.
 */
export function runBackendConformance(
  makeBackend: () => GraceBackend | Promise<GraceBackend>,
  options: RunBackendConformanceOptions = {},
): void {
  const suites = new Map<string, ConformanceCase[]>();
  for (const testCase of conformanceCases(options)) {
    const cases = suites.get(testCase.suite) ?? [];
    cases.push(testCase);
    suites.set(testCase.suite, cases);
  }
  describe(options.title ?? 'GRACE backend conformance', () => {
    for (const [suite, cases] of suites) {
      describe(suite, () => {
        for (const testCase of cases) {
          it(testCase.name, async () => testCase.run(await makeBackend()), options.timeoutMs);
        }
      });
    }
  });
}
