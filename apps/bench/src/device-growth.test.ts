import { createCpuBackend } from '@grace/backend-cpu';
import type { GraceBackend } from '@grace/core';
import { describe, expect, it } from 'vitest';
import { runDeviceGrowth } from './device-growth.js';
import { KernelMismatchError } from './lookup-verification.js';

const config = { keys: 500, dims: 8, batch: 3, edits: 2, seed: 1 };

describe('runDeviceGrowth', () => {
  it('times the append and the next lookup at both sizes, after one warm-up', async () => {
    const row = await runDeviceGrowth(createCpuBackend(), config);
    expect(row.keys).toBe(500);
    expect(row.syncAndLookupMs.large.runs).toBe(2);
    expect(row.syncMs.empty.runs).toBe(2);
    expect(Number.isFinite(row.ratio) && row.ratio > 0).toBe(true);
  });

  it('stops when the appended key does not fire for its own query (its rows never reached the backend)', async () => {
    const cpu = createCpuBackend();
    const staleCopy: GraceBackend = {
      ...cpu,
      lookup: (args) => {
        const real = cpu.lookup(args);
        cpu.dispose(real.hitIndex);
        const batch = args.queries.shape[0];
        return { output: real.output, hitIndex: cpu.upload(new Int32Array(batch).fill(-1), [batch]) };
      },
    };
    await expect(runDeviceGrowth(staleCopy, config)).rejects.toThrow(KernelMismatchError);
  });
});
