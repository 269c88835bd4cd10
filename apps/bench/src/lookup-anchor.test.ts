import { createCpuBackend } from '@grace/backend-cpu';
import { describe, expect, it } from 'vitest';
import { startLookupAnchor } from './lookup-anchor.js';
import { runLookupBenchmark } from './lookup-benchmark.js';
import { formatBlasTargets, formatLookupTable } from './lookup-report.js';
import { anchorPython } from './torch-anchor.js';

describe('the PyTorch lookup anchor', () => {
  it('is skipped with a reason when the Python does not exist', async () => {
    const outcome = await startLookupAnchor('/no/such/python');
    expect(outcome.available).toBe(false);
    if (!outcome.available) expect(outcome.reason).toMatch(/ENOENT|no\/such/);
  });

  it('takes --python first, then GRACE_ANCHOR_PYTHON, then python3', () => {
    expect(anchorPython('/opt/python')).toBe('/opt/python');
    const saved = process.env.GRACE_ANCHOR_PYTHON;
    try {
      process.env.GRACE_ANCHOR_PYTHON = '/env/python';
      expect(anchorPython(undefined)).toBe('/env/python');
      delete process.env.GRACE_ANCHOR_PYTHON;
      expect(anchorPython(undefined)).toBe('python3');
    } finally {
      if (saved !== undefined) process.env.GRACE_ANCHOR_PYTHON = saved;
    }
  });

  it('puts its time beside the backends and prints the BLAS target as met or missed', async () => {
    // A stand-in anchor with fixed times: the column and the ratio are what is tested, not PyTorch.
    let prepared = '';
    const anchor = {
      deviceName: 'cpu',
      prepare: async (batch: number, keys: number, dims: number) => {
        prepared = `${batch}x${keys}x${dims}`;
      },
      time: async () => 1e6,
      close: () => {},
    };
    const result = await runLookupBenchmark(
      [{ name: 'cpu', backend: createCpuBackend() }],
      { keyCounts: [10_000], dims: [768], batch: 2, runs: 1, seed: 1 },
      { anchor },
    );
    expect(prepared).toBe('2x10000x768');
    expect(result.rows[0]?.anchor?.medianMs).toBe(1e6);
    expect(formatLookupTable(result)).toContain('BLAS×near');
    expect(formatBlasTargets(result)).toEqual([expect.stringMatching(/cpu N 10000 D 768: .* — met$/)]);
  }, 60_000);
});
