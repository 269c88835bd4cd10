import { createCpuBackend } from '@grace/backend-cpu';
import { describe, expect, it } from 'vitest';
import { renderSyntheticFigure } from './synthetic-command.js';
import { runSyntheticExperiment, type SyntheticExperimentResult } from './synthetic-experiment.js';

describe('the synthetic experiment (paper section 3.4) on the CPU backend', () => {
  let first: SyntheticExperimentResult;

  it('fixes every edit with very few keys and leaves upstream points outside the balls alone', async () => {
    first = await runSyntheticExperiment({ backend: createCpuBackend() });
    const { before, grace, fineTuning } = first;
    expect(before.upstreamAccuracy).toBeGreaterThan(0.95);
    expect(before.editAccuracy).toBeLessThan(0.5);
    expect(grace.editAccuracy).toBe(1);
    expect(grace.editSuccess).toBe(1);
    expect(grace.keys).toBeGreaterThanOrEqual(1);
    expect(grace.keys).toBeLessThanOrEqual(3);
    expect(grace.changedOutsideBalls).toBe(0);
    // Only points inside a ball may change, so upstream accuracy falls by at most their share.
    expect(grace.upstreamAccuracy).toBeGreaterThanOrEqual(
      before.upstreamAccuracy - grace.insideBalls / first.data.upstream.length,
    );
    // Fine-tuning the same layer on the same stream damages the upstream task more.
    expect(fineTuning.upstreamAccuracy).toBeLessThan(grace.upstreamAccuracy);
  }, 60_000);

  it('is seeded: a second run gives the same numbers', async () => {
    const second = await runSyntheticExperiment({ backend: createCpuBackend() });
    expect(second.grace.keys).toBe(first.grace.keys);
    expect(second.grace.upstreamAccuracy).toBe(first.grace.upstreamAccuracy);
    expect(second.fineTuning.upstreamAccuracy).toBe(first.fineTuning.upstreamAccuracy);
    expect(Array.from(second.grace.grid)).toEqual(Array.from(first.grace.grid));
  }, 60_000);

  it('draws the figure in under 150 KB, every point included', () => {
    const figure = renderSyntheticFigure(first);
    expect(figure.length).toBeLessThan(150_000);
    const points = first.data.upstream.length + first.data.edits.length;
    // In each of the 3 panels, each point is one `M x y h0` move; edits are drawn twice (outline, then fill).
    expect(figure.match(/h0/g)?.length).toBe(3 * (points + first.data.edits.length));
  });
});
