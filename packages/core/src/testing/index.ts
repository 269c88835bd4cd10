/**
 * `@grace/core/testing`: the conformance cases every backend must pass and the pieces to build more, free of any
 * test framework (a script or a browser page runs them with `conformanceCases`). The vitest runner,
 * `runBackendConformance`, is `@grace/core/testing/vitest`, the only entry point that needs vitest installed.
 */
export * from './cases.js';
