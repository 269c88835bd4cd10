import { createCpuBackend } from '@grace/backend-cpu';
import type { GraceBackend } from '@grace/core';
import { describe, expect, it } from 'vitest';
import { generateLookupCell, type LookupBenchmarkConfig, runLookupBenchmark } from './lookup-benchmark.js';
import { KernelMismatchError } from './lookup-verification.js';
import { naiveNearestKey } from './naive-nearest-key.js';

const tinyConfig: LookupBenchmarkConfig = { keyCounts: [10], dims: [4], batch: 32, runs: 1, seed: 7 };

describe('naiveNearestKey', () => {
  it('finds the nearest key by Euclidean distance, lowest index on ties', () => {
    // Keys [3, 2]: (0,0), (3,4), (1,0); queries: (2.9,4) → key 1; (0.5,0) ties keys 0 and 2 → key 0.
    const keys = new Float32Array([0, 0, 3, 4, 1, 0]);
    const queries = new Float32Array([2.9, 4, 0.5, 0]);
    const result = naiveNearestKey(queries, keys, 2, 3, 2);
    expect([...result.index]).toEqual([1, 0]);
    expect(result.distance[0]).toBeCloseTo(0.1, 6);
    expect(result.distance[1]).toBeCloseTo(0.5, 6);
  });
});

describe('generateLookupCell', () => {
  it('makes the same data from the same seed and different data from another', () => {
    const first = generateLookupCell(1, 8, 10, 4);
    expect(generateLookupCell(1, 8, 10, 4)).toEqual(first);
    expect(generateLookupCell(2, 8, 10, 4).keys).not.toEqual(first.keys);
  });

  it('makes about half the queries hit at the sizes of the grid', () => {
    const cell = generateLookupCell(3, 32, 1000, 64);
    const naive = naiveNearestKey(cell.queries, cell.keys, 32, 1000, 64);
    const hits = [...naive.distance].filter((distance, row) => distance <= cell.radii[naive.index[row]]);
    expect(hits.length).toBe(16);
  });
});

describe('runLookupBenchmark', () => {
  it('reports one well-formed row per backend and cell', async () => {
    const result = await runLookupBenchmark([{ name: 'cpu', backend: createCpuBackend() }], tinyConfig);
    expect(result.backends).toEqual(['cpu']);
    expect(result.rows).toHaveLength(1);
    const [row] = result.rows;
    expect(row).toMatchObject({ backend: 'cpu', keys: 10, dims: 4, batch: 32 });
    for (const timing of [row.naive, row.nearestKey, row.lookup]) {
      expect(timing.runs).toBe(1);
      expect(timing.minMs).toBeLessThanOrEqual(timing.medianMs);
      expect(timing.medianMs).toBeLessThanOrEqual(timing.maxMs);
      expect(timing.minMs).toBeGreaterThanOrEqual(0);
    }
    expect(row.throughput.nearestKey).toBeCloseTo((32 * 10 * 4) / (row.nearestKey.medianMs / 1000));
    expect(row.speedup.nearestKey).toBeCloseTo(row.naive.medianMs / row.nearestKey.medianMs);
    expect(row.hitRate).toBeGreaterThanOrEqual(0.5);
    expect(row.hitRate).toBeLessThanOrEqual(1);
  });

  it('times a nearestKey that agrees with the naive argmin', async () => {
    const backend = createCpuBackend();
    const cell = generateLookupCell(tinyConfig.seed, 32, 10, 4);
    const queries = backend.upload(cell.queries, [32, 4]);
    const keys = backend.upload(cell.keys, [10, 4]);
    const result = backend.nearestKey(queries, keys);
    const naive = naiveNearestKey(cell.queries, cell.keys, 32, 10, 4);
    expect([...(await backend.download(result.index))]).toEqual([...naive.index]);
    const distance = await backend.download(result.distance);
    for (let row = 0; row < 32; row++) expect(distance[row]).toBeCloseTo(naive.distance[row], 4);
    for (const tensor of [queries, keys, result.index, result.distance]) backend.dispose(tensor);
  });

  it('refuses to time a nearestKey that answers the wrong key', async () => {
    const cpu = createCpuBackend();
    const alwaysFirstKey: GraceBackend = {
      ...cpu,
      nearestKey: (queries, keys) => {
        const real = cpu.nearestKey(queries, keys);
        cpu.dispose(real.index);
        return {
          index: cpu.upload(new Int32Array(queries.shape[0]), [queries.shape[0]]),
          distance: real.distance,
        };
      },
    };
    await expect(
      runLookupBenchmark([{ name: 'broken', backend: alwaysFirstKey }], tinyConfig),
    ).rejects.toThrow(KernelMismatchError);
  });

  it('refuses to time a lookup that never fires', async () => {
    const cpu = createCpuBackend();
    const neverFires: GraceBackend = {
      ...cpu,
      lookup: (args) => {
        const batch = args.queries.shape[0];
        const real = cpu.lookup(args);
        cpu.dispose(real.hitIndex);
        return { output: real.output, hitIndex: cpu.upload(new Int32Array(batch).fill(-1), [batch]) };
      },
    };
    await expect(runLookupBenchmark([{ name: 'broken', backend: neverFires }], tinyConfig)).rejects.toThrow(
      /deferred, but key/,
    );
  });
});
