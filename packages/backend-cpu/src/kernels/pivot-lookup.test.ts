import {
  graceScenarioCases,
  lookupCases,
  mirroredLookupCases,
  resolveConformanceOptions,
  routingCases,
} from '@grace/core/testing/cases';
import { describe, it } from 'vitest';
import { createCpuBackend } from '../cpu-backend.js';

/**
 * The default backend leaves rows whose pivot range is wide to the search, which at the small widths of the
 * conformance cases is most rows. Here the index answers every row it can (ranges up to all keys, pivots chosen
 * from 8 keys on), so the lookup, routing and GRACE cases run through the pivot index itself: its answers must be
 * the reference's, bit for bit.
 */
describe('lookup through the pivot index on every row it can answer', () => {
  const options = resolveConformanceOptions({ tolerance: 0 });
  const cases = [
    ...lookupCases(options),
    ...mirroredLookupCases(options),
    ...routingCases(options),
    ...graceScenarioCases(options),
  ];
  for (const testCase of cases) {
    it(`${testCase.suite} › ${testCase.name}`, async () => {
      await testCase.run(createCpuBackend({ pivotIndex: { maximumRangeShare: 1, minimumKeys: 8 } }));
    });
  }
});
