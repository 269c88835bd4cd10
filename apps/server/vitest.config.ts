import { defineConfig } from 'vitest/config';

// Servers here start worker threads that each build the served model (about a second alone, several on a
// loaded 2-core machine), so tests and hooks get room; no test asserts a tight timing.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 120_000 } });
