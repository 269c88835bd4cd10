import { createCpuBackend } from '@grace/backend-cpu';
import { describe, expect, it } from 'vitest';
import { runGrowthBenchmark } from './growth-benchmark.js';

describe('runGrowthBenchmark', () => {
  it('reports both codebooks, and the cpu backend stores a codebook once', async () => {
    const [row] = await runGrowthBenchmark(
      [{ name: 'cpu', backend: createCpuBackend({ pivotIndex: true }) }],
      {
        keys: 300,
        edits: 1,
        iterations: 2,
        workload: 'synthetic',
        seed: 1,
      },
    );
    expect(row?.keys).toBe(300);
    expect(row?.editMs.large.runs).toBe(1);
    expect(row?.checkMs.large.runs).toBe(1);
    expect(row?.predictMs.large.runs).toBe(1);
    expect(Number.isFinite(row?.editRatio)).toBe(true);
    expect(Number.isFinite(row?.editAndSearchesRatio)).toBe(true);
    // The cpu mirrors read the host's arrays: on the backend side only the lookup's pivot index, asked for here (one
    // pivot per 16 key dimensions, at least one: about 12 bytes per key here), host spare capacity under 25%.
    expect(row?.backendBytes).toBeGreaterThan(0);
    expect(row?.backendBytes).toBeLessThanOrEqual(16 * 1.25 * 302);
    expect(row?.memoryRatio).toBeLessThanOrEqual(1.25);
  });
});
