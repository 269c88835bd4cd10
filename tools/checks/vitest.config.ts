import { defineConfig } from 'vitest/config';

// Only this package's own tests: the doc blocks it writes to .doc-blocks/ run through their own vitest process.
export default defineConfig({ test: { include: ['src/**/*.test.ts'] } });
