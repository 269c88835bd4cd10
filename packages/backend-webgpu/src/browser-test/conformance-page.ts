import { type ConformanceCase, conformanceCases } from '@grace/core/testing/cases';
import { createWebGpuBackend } from '../webgpu-backend.js';

/**
 * The browser side of the browser test: runs conformance cases on `navigator.gpu` (SwiftShader in headless
 * Chromium) and leaves the outcome on `window.graceConformance` for the test to read. The suites to run come
 * from the page's query string (`?suites=a,b`), all of them when absent.
 */

/** One case's outcome, as the Node side reads it. */
export interface BrowserCaseResult {
  readonly suite: string;
  readonly name: string;
  readonly passed: boolean;
  readonly message?: string;
  readonly milliseconds: number;
}

/** What the page publishes when it is done (or could not start). */
export interface BrowserConformanceReport {
  readonly done: true;
  readonly adapter: string;
  readonly results: readonly BrowserCaseResult[];
  readonly error?: string;
}

declare global {
  interface Window {
    graceConformance?: BrowserConformanceReport;
  }
}

async function runCases(): Promise<BrowserConformanceReport> {
  const suites = new URLSearchParams(location.search).get('suites')?.split(',');
  const chosen: ConformanceCase[] = conformanceCases().filter(
    (testCase) => suites === undefined || suites.includes(testCase.suite),
  );
  const first = await createWebGpuBackend();
  const { device } = first;
  const adapter = `${first.adapterInfo.vendor} / ${first.adapterInfo.architecture} / ${first.adapterInfo.description}`;
  const results: BrowserCaseResult[] = [];
  for (const testCase of chosen) {
    const started = performance.now();
    try {
      await testCase.run(await createWebGpuBackend({ device }));
      results.push({
        suite: testCase.suite,
        name: testCase.name,
        passed: true,
        milliseconds: performance.now() - started,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.push({
        suite: testCase.suite,
        name: testCase.name,
        passed: false,
        message,
        milliseconds: performance.now() - started,
      });
    }
  }
  return { done: true, adapter, results };
}

runCases().then(
  (report) => {
    window.graceConformance = report;
  },
  (error: unknown) => {
    window.graceConformance = {
      done: true,
      adapter: '',
      results: [],
      error: error instanceof Error ? error.message : String(error),
    };
  },
);
