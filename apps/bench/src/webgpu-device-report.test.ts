import { describe, expect, it } from 'vitest';
import type { DeviceGrowthRow } from './device-growth.js';
import type { TimingSummary } from './statistics.js';
import type { DeviceSearchRow } from './webgpu-device-benchmark.js';
import { formatDeviceSearchTable, formatDeviceSummary, gigaMultiplyAdds } from './webgpu-device-report.js';

const timing = (medianMs: number): TimingSummary => ({ medianMs, minMs: medianMs, maxMs: medianMs, runs: 5 });

const row: DeviceSearchRow = {
  keys: 100_000,
  dims: 768,
  batch: 32,
  nearestKey: { single: timing(5), queued: timing(2) },
  lookup: { single: timing(20), queued: timing(4) },
  torchCuda: { single: timing(1), queued: timing(0.5) },
  torchCpu: timing(10),
  conformance: { rows: 640, sameKey: 639, ties: 1, lookupCalls: 20, hits: 16 },
};

describe('the webgpu-device report', () => {
  it('counts B·N·D multiply-adds per second at the median', () => {
    expect(gigaMultiplyAdds(row, timing(1))).toBeCloseTo(2457.6, 6);
  });

  it('prints one line per engine, queued columns only where queued calls were timed', () => {
    const lines = formatDeviceSearchTable([row]).split('\n');
    expect(lines).toHaveLength(2 + 4);
    expect(lines[2]).toMatch(/^100000 {2}webgpu nearestKey +5\.00 +492 +2\.00 +1\.23e\+3$/);
    expect(lines[5]).toMatch(/torch cpu 1 thread +10\.0 +246$/);
    expect(formatDeviceSearchTable([row], true)).toMatch(/^\| N \| engine \|/);
  });

  it('states the ratios to PyTorch, the one-thread BLAS and growth targets as met or MISSED, and conformance', () => {
    const growth: DeviceGrowthRow = {
      keys: 100_000,
      dims: 768,
      batch: 32,
      syncMs: { empty: timing(0.1), large: timing(0.1) },
      syncAndLookupMs: { empty: timing(1), large: timing(3) },
      ratio: 3,
    };
    const summary = formatDeviceSummary([row], growth);
    expect(summary[0]).toMatch(
      /single calls: nearestKey 0\.20x, lookup 0\.05x; queued: nearestKey 0\.25x, lookup 0\.13x$/,
    );
    // nearestKey 10/5 = 2× but lookup 10/20 = 0.5×: the target needs both.
    expect(summary[1]).toMatch(/nearestKey 2\.00x, lookup 0\.50x — MISSED$/);
    expect(summary[2]).toMatch(
      /639\/640 nearestKey rows .* \(1 equal-distance ties\), 20 lookups .* \(16\/32 hits\)/,
    );
    expect(summary[3]).toMatch(/^growth: .* 3\.00x \(target ≤ 1\.2×: MISSED\)/);
  });
});
