import { createCpuBackend } from '@grace/backend-cpu';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../usage-error.js';
import { finalCheckpoint } from './lifelong-report.js';
import { parseSotuArguments } from './sotu-command.js';
import { runSotuPartyExperiment } from './sotu-party-experiment.js';

describe('State of the Union sentences by party (a short stream)', () => {
  it('edits the classifier at both edit points, and token-level GRACE fixes every edit without hurting TRR', async () => {
    const result = await runSotuPartyExperiment({
      backend: createCpuBackend(),
      trainSize: 200,
      upstreamSize: 40,
      deployedSize: 30,
      heldOutSize: 20,
      edits: 4,
      epsScales: [0.25],
      replacements: ['last'],
      keyTokens: ['mean'],
      checkpoints: 1,
    });
    // (On 200 training sentences the head is near chance everywhere; the drift shows at the demo's sizes.)
    expect(result.sizes.stream).toBe(4);
    expect(result.runs.map((run) => run.method)).toEqual([
      'unedited',
      expect.stringMatching(/^GRACE pooled \(hidden\) ε /),
      'fine-tuning hidden',
      expect.stringMatching(/^soft memory/),
      expect.stringMatching(/^GRACE token ffn last key mean ε /),
    ]);
    const unedited = finalCheckpoint(result.runs[0] as never);
    const token = result.runs.find((run) => run.method === result.best) as NonNullable<
      (typeof result.runs)[0]
    >;
    expect(token.method).toMatch(/^GRACE token/);
    const last = finalCheckpoint(token);
    expect(unedited.err).toBe(0);
    expect(last.es).toBe(1);
    expect(last.err).toBe(1);
    expect(last.trr).toBeGreaterThanOrEqual(0.98 * unedited.trr);
    expect(result.keyScale.mean).toBeGreaterThan(0);
  }, 600_000);
});

describe('pnpm demo sotu options', () => {
  it('runs both edit points on 80 mistakes by default, and refuses what it does not know', () => {
    expect(parseSotuArguments([])).toEqual({ editPoints: ['pooled', 'token'], edits: 80 });
    expect(parseSotuArguments(['--edit-point', 'token', '--edits', '12'])).toEqual({
      editPoints: ['token'],
      edits: 12,
    });
    expect(() => parseSotuArguments(['--edit-point', 'inside'])).toThrow(UsageError);
    expect(() => parseSotuArguments(['--edits', '0'])).toThrow(UsageError);
    expect(() => parseSotuArguments(['--layer', 'x'])).toThrow(UsageError);
  });
});
