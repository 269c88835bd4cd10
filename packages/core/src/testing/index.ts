/**
 * `@grace/core/testing`: the conformance suite every backend runs (`runBackendConformance`, for vitest) and
 * everything of `@grace/core/testing/cases`.
 */
export * from './cases.js';
export { type RunBackendConformanceOptions, runBackendConformance } from './run-backend-conformance.js';
