import { createCpuBackend } from '@grace/backend-cpu';
import { editScore } from '@grace/core';
import { describe, expect, it } from 'vitest';
import { finalCheckpoint, formatLifelongTable } from './lifelong-report.js';
import { runSpamDriftExperiment } from './spam-drift-experiment.js';

describe('lifelong editing of a spam filter under drift (a short stream)', () => {
  it("fixes the filter's mistakes on later mail without hurting the early mail", async () => {
    const result = await runSpamDriftExperiment({
      backend: createCpuBackend(),
      trainSize: 250,
      upstreamSize: 120,
      deployedSize: 150,
      heldOutSize: 40,
      edits: 10,
      epsValues: [3],
      checkpoints: 2,
    });
    // The later corpora are harder for a filter trained on the early ones: that is the drift.
    expect(result.drift.lateAccuracy).toBeLessThan(result.drift.earlyAccuracy);
    expect(result.sizes.stream).toBeGreaterThanOrEqual(5);
    const byName = new Map(result.runs.map((run) => [run.method, run]));
    const unedited = finalCheckpoint(byName.get('unedited') as never);
    const grace = byName.get(result.best) as NonNullable<ReturnType<typeof byName.get>>;
    expect(grace.method).toBe('GRACE hidden ε 3 halve');
    const last = finalCheckpoint(grace);
    expect(unedited.err).toBe(0);
    expect(last.es).toBe(1);
    expect(last.err).toBeGreaterThanOrEqual(0.9);
    expect(last.trr).toBeGreaterThanOrEqual(0.98 * unedited.trr);
    expect(last.keys).toBeGreaterThan(0);
    expect(last.keys).toBeLessThanOrEqual(last.edits);
    expect(editScore(grace)).toBeGreaterThan(editScore(byName.get('unedited') as never));
    expect(formatLifelongTable(result.runs, unedited.trr)).toContain('| GRACE hidden ε 3 halve |');
  }, 300_000);
});
