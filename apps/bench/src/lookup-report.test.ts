import { readFile } from 'node:fs/promises';
import { createCpuBackend } from '@grace/backend-cpu';
import { describe, expect, it } from 'vitest';
import type { LookupAnchor, LookupAnchorAnswer, LookupAnchorLibrary } from './lookup-anchor.js';
import { type LookupBenchmarkResult, runLookupBenchmark } from './lookup-benchmark.js';
import { resolveLookupSettings } from './lookup-command.js';
import { formatBlasTargets, formatLookupTable } from './lookup-report.js';
import { naiveNearestKey } from './naive-nearest-key.js';
import { parseOptions } from './parse-arguments.js';

/**
 * A stand-in anchor with a fixed time that answers with the brute force of the cell it was handed: the
 * columns, ratios and verdicts are what is tested here, not PyTorch or faiss.
 */
function fixedAnchor(
  library: LookupAnchorLibrary,
  milliseconds: number,
): LookupAnchor & { prepared: string[] } {
  const prepared: string[] = [];
  let answer: LookupAnchorAnswer = { index: new Int32Array(0), distance: new Float32Array(0) };
  return {
    library,
    version: 'stand-in',
    deviceName: 'cpu',
    prepared,
    prepare: async (batch, keys, dims, _seed, dataPath) => {
      prepared.push(`${batch}x${keys}x${dims}`);
      if (dataPath === undefined) throw new Error('the lookup benchmark hands anchors its own cell');
      const values = new Float32Array(Uint8Array.from(await readFile(dataPath)).buffer);
      const naive = naiveNearestKey(
        values.subarray(0, batch * dims),
        values.subarray(batch * dims),
        batch,
        keys,
        dims,
      );
      answer = { index: naive.index, distance: Float32Array.from(naive.distance) };
    },
    time: async () => milliseconds,
    answer: async () => answer,
    close: () => {},
  };
}

async function anchoredResult(anchors: readonly LookupAnchor[]): Promise<LookupBenchmarkResult> {
  return runLookupBenchmark(
    [{ name: 'cpu', backend: createCpuBackend() }],
    { keyCounts: [10_000], dims: [768], batch: 2, runs: 1, seed: 1 },
    { anchors },
  );
}

describe('the lookup report with anchors', () => {
  it('puts each anchor beside the backends and prints the target against PyTorch, faiss beside it', async () => {
    // Times well above the cpu backend's (tens of ms here), and within 100× of it so the table keeps its width:
    // every share of the anchors' throughput is met.
    const torch = fixedAnchor('torch', 1_000);
    const faiss = fixedAnchor('faiss', 2_000);
    const result = await anchoredResult([faiss, torch]);
    expect(torch.prepared).toEqual(['2x10000x768']);
    expect(faiss.prepared).toEqual(['2x10000x768']);
    const table = formatLookupTable(result);
    expect(table).toMatch(/torch ms +torch× n\/l +faiss ms +faiss× n\/l/);
    expect(table).toContain('faiss = one-thread faiss IndexFlatL2.search(queries, 1)');
    const targets = formatBlasTargets(result);
    for (const line of [...table.split('\n'), ...targets]) expect(line.length, line).toBeLessThanOrEqual(120);
    expect(formatLookupTable(result, 'markdown')).toMatch(
      /\| naive\/nearest \| naive\/lookup \| hits \| torch ms \|/,
    );
    expect(targets).toEqual([
      expect.stringMatching(/judged against torch; faiss beside it$/),
      "target N 10000 D 768, anchors' q·k·d/s: torch 15.4 M, faiss 7.68 M",
      expect.stringMatching(
        /^ {2}cpu: nearestKey .* q·k·d\/s; torch× [\d.]+\/[\d.]+ met, faiss× [\d.]+\/[\d.]+ met — met$/,
      ),
    ]);
  }, 60_000);

  it('prints MISSED against an anchor the backend does not reach, and judges against faiss without PyTorch', async () => {
    const result = await anchoredResult([fixedAnchor('faiss', 1e-3)]);
    const [header, , line] = formatBlasTargets(result);
    expect(header).toMatch(/judged against faiss$/);
    expect(line).toMatch(/; faiss× \d+\.\d\d\/\d+\.\d\d MISSED — MISSED$/);
    expect(formatLookupTable(result)).not.toContain('torch ms');
  }, 60_000);
});

describe('resolveLookupSettings', () => {
  const settings = (argumentList: string[]) =>
    resolveLookupSettings(
      parseOptions(argumentList, [
        { name: 'anchors', valueName: 'LIST', description: '' },
        { name: 'no-anchor', description: '' },
      ]),
    );

  it('times both anchors by default, those named by --anchors, none with --no-anchor', () => {
    expect(settings([]).anchorLibraries).toEqual(['torch', 'faiss']);
    expect(settings(['--anchors', 'faiss']).anchorLibraries).toEqual(['faiss']);
    expect(settings(['--no-anchor']).anchorLibraries).toEqual([]);
    expect(() => settings(['--anchors', 'torch,annoy'])).toThrow(
      /unknown anchor 'annoy'; known anchors: torch, faiss/,
    );
  });
});
