/**
 * `@grace/core/testing/vitest`: the conformance suite registered with vitest (`runBackendConformance`). Kept
 * apart from `@grace/core/testing` so that importing the cases never needs vitest.
 */
export { type RunBackendConformanceOptions, runBackendConformance } from './run-backend-conformance.js';
