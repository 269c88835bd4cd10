import { describe, expect, it } from 'vitest';
import { runOnnxOverheadBenchmark } from './onnx-overhead-benchmark.js';

describe('runOnnxOverheadBenchmark', () => {
  it('times every path at each codebook size on the real classifier and reports overheads against the plain model', async () => {
    const rows = await runOnnxOverheadBenchmark({
      batchSize: 2,
      keyCounts: [0, 5],
      runs: 2,
      warmups: 0,
      threads: 1,
    });
    expect(rows.map((row) => row.keys)).toEqual([0, 5]);
    for (const row of rows) {
      for (const timing of [row.plain, row.wrapped, row.editor, row.singleGraph]) {
        expect(timing.runs).toBe(2);
        expect(timing.medianMs).toBeGreaterThan(0);
      }
      expect(row.wrappedOverhead).toBeCloseTo(row.wrapped.medianMs / row.plain.medianMs - 1, 10);
    }
  }, 60_000);
});
