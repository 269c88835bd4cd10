import { createCpuBackend } from '@grace/backend-cpu';
import type { GraceBackend } from '@grace/core';
import { describe, expect, it } from 'vitest';
import type { LookupAnchor } from './lookup-anchor.js';
import { KernelMismatchError } from './lookup-verification.js';
import { runDeviceSearch, type WebGpuDeviceConfig } from './webgpu-device-benchmark.js';

const tinyConfig: WebGpuDeviceConfig = {
  keyCounts: [300],
  dims: 16,
  batch: 4,
  runs: 2,
  queued: 3,
  growthKeys: 100,
  growthEdits: 1,
  seed: 7,
};

/** A stand-in anchor with fixed times: the columns are what is tested, not PyTorch. */
function fixedAnchor(deviceName: string, singleMs: number, queuedMs: number) {
  const prepared: string[] = [];
  const anchor: LookupAnchor = {
    library: 'torch',
    version: 'stand-in',
    deviceName,
    prepare: async (batch, keys, dims) => {
      prepared.push(`${batch}x${keys}x${dims}`);
    },
    time: async (calls = 1) => (calls === 1 ? singleMs : queuedMs),
    answer: async () => {
      throw new Error('runDeviceSearch never asks an anchor for its answer: the anchor makes its own data');
    },
    close: () => {},
  };
  return { anchor, prepared };
}

describe('runDeviceSearch', () => {
  it('times single and queued calls beside both anchors and checks every answer against the brute force', async () => {
    const cuda = fixedAnchor('NVIDIA H200', 2, 0.5);
    const cpu = fixedAnchor('cpu', 40, 40);
    const [row] = await runDeviceSearch(createCpuBackend(), tinyConfig, {
      cuda: cuda.anchor,
      cpu: cpu.anchor,
    });
    expect(cuda.prepared).toEqual(['4x300x16']);
    expect(cpu.prepared).toEqual(['4x300x16']);
    expect(row?.nearestKey.single.runs).toBe(2);
    expect(row?.lookup.queued.runs).toBe(2);
    expect(row?.torchCuda?.single.medianMs).toBe(2);
    expect(row?.torchCuda?.queued.medianMs).toBe(0.5);
    expect(row?.torchCpu?.medianMs).toBe(40);
    // Per repetition (warm-up included) one single and one queued answer of each kernel is read back and checked.
    expect(row?.conformance).toMatchObject({ rows: 3 * 2 * 4, sameKey: 3 * 2 * 4, ties: 0, lookupCalls: 6 });
    expect(row?.conformance.hits).toBe(2);
  });

  it('leaves the anchor columns out when no anchor ran', async () => {
    const [row] = await runDeviceSearch(createCpuBackend(), { ...tinyConfig, runs: 1 }, {});
    expect(row?.torchCuda).toBeUndefined();
    expect(row?.torchCpu).toBeUndefined();
  });

  it('stops at a queued answer that is not the nearest key', async () => {
    const cpu = createCpuBackend();
    let calls = 0;
    // Right for the first (single) call, then always key 0: only the queued path's check can catch it.
    const wrongWhenQueued: GraceBackend = {
      ...cpu,
      nearestKey: (queries, keys) => {
        const real = cpu.nearestKey(queries, keys);
        if (++calls === 1) return real;
        cpu.dispose(real.index);
        return {
          index: cpu.upload(new Int32Array(queries.shape[0]), [queries.shape[0]]),
          distance: real.distance,
        };
      },
    };
    await expect(runDeviceSearch(wrongWhenQueued, tinyConfig, {})).rejects.toThrow(KernelMismatchError);
  });
});
