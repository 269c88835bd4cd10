import { GraceError } from '@grace/core';
import { runBackendConformance } from '@grace/core/testing/vitest';
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from './cpu-backend.js';

// The CPU backend computes in float64 and rounds once, exactly as the reference does: tolerance 0, so any
// difference at all, not just a large one, fails.
runBackendConformance(() => createCpuBackend(), { tolerance: 0 });

describe('createCpuBackend', () => {
  it('makes independent backends whose tensors do not mix', async () => {
    const first = createCpuBackend();
    const second = createCpuBackend();
    const tensor = first.upload(new Float32Array([1, 2]), [2]);
    await expect(second.download(tensor)).rejects.toMatchObject({ code: 'FOREIGN_TENSOR' });
    expect(() => second.dispose(tensor)).toThrow(GraceError);
    expect(Array.from(await first.download(tensor))).toEqual([1, 2]);
  });

  it('declares spec v1 and a name', () => {
    const backend = createCpuBackend();
    expect(backend.specificationVersion).toBe('v1');
    expect(backend.name).toBe('cpu');
  });
});
