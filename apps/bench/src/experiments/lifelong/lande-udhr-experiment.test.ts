import { createCpuBackend } from '@grace/backend-cpu';
import { editScore } from '@grace/core';
import { describe, expect, it } from 'vitest';
import { runLandeExperiment } from './lande-udhr-experiment.js';
import { finalCheckpoint, formatLifelongTable } from './lifelong-report.js';

describe('lifelong editing of lande on UDHR (a short stream)', () => {
  it('fixes real mistakes in a row without hurting the upstream task, unlike fine-tuning', async () => {
    const result = await runLandeExperiment({
      backend: createCpuBackend(),
      edits: 60,
      epsValues: [0.5],
      layers: ['dense1'],
      splitPolicies: ['halve'],
      checkpoints: 3,
      upstreamSize: 300,
      holdoutSize: 100,
    });
    expect(result.sizes.stream).toBe(60);
    expect(result.baseErrorRate).toBeGreaterThan(0.15);
    const byName = new Map(result.runs.map((run) => [run.method, run]));
    const unedited = finalCheckpoint(byName.get('unedited') as never);
    const grace = byName.get(result.best) as NonNullable<ReturnType<typeof byName.get>>;
    const fineTuning = byName.get('fine-tuning dense1');
    expect(grace.checkpoints).toHaveLength(3);
    const last = finalCheckpoint(grace);
    expect(unedited.err).toBe(0);
    expect(last.es).toBe(1);
    expect(last.err).toBeGreaterThanOrEqual(0.9);
    // Every stream input is a mistake of the unedited model, so the stream figure is at most ERR's edits plus
    // inputs an earlier edit already fixed: both are reported, and neither is the other.
    expect(last.streamAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(last.edits).toBeLessThanOrEqual(last.processed);
    expect(last.trr).toBeGreaterThanOrEqual(0.98 * unedited.trr);
    expect(last.keys).toBeGreaterThan(0);
    expect(last.keys).toBeLessThanOrEqual(last.edits);
    expect(editScore(grace)).toBeGreaterThan(editScore(fineTuning as never));
    expect(formatLifelongTable(result.runs, unedited.trr)).toContain('| GRACE dense1 ε 0.5 halve |');
  }, 120_000);
});
