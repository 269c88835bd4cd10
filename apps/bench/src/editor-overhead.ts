import { Codebook, type SeededRandom } from '@grace/core';
import { summarizeTimings, type TimingSummary } from './statistics.js';

/** What an overhead run of one engine and codebook size reports. */
export interface OverheadTiming {
  readonly plain: TimingSummary;
  readonly edited: TimingSummary;
  /** Median edited / median plain − 1. */
  readonly overhead: number;
}

/**
 * Times the plain and the edited prediction alternately, the order flipped every repetition so that machine noise
 * hits both alike; `warmups` repetitions are not timed.
 */
export async function timeOverhead(
  plain: () => Promise<unknown>,
  edited: () => Promise<unknown>,
  config: { readonly warmups: number; readonly runs: number },
): Promise<OverheadTiming> {
  const samples = { plain: [] as number[], edited: [] as number[] };
  for (let repetition = 0; repetition < config.warmups + config.runs; repetition++) {
    const order: ['plain' | 'edited', () => Promise<unknown>][] = [
      ['plain', plain],
      ['edited', edited],
    ];
    if (repetition % 2 === 1) order.reverse();
    for (const [path, predict] of order) {
      const started = performance.now();
      await predict();
      if (repetition >= config.warmups) samples[path].push(performance.now() - started);
    }
  }
  const plainTiming = summarizeTimings(samples.plain);
  const editedTiming = summarizeTimings(samples.edited);
  return {
    plain: plainTiming,
    edited: editedTiming,
    overhead: editedTiming.medianMs / plainTiming.medianMs - 1,
  };
}

/**
 * A codebook holding the first `count` of `keyRows` (`[*, Dk]` row-major) as keys, random values, one radius and
 * labels cycling through `classes`, as a loaded codebook file would be.
 */
export function codebookOfKeys(
  model: { readonly keyDimension: number; readonly valueDimension: number; readonly layerId: string },
  keyRows: Float32Array,
  count: number,
  settings: { readonly radius: number; readonly classes: number; readonly random: SeededRandom },
): Codebook {
  return Codebook.restore(
    { keyDimension: model.keyDimension, valueDimension: model.valueDimension, layerId: model.layerId },
    {
      keys: keyRows.slice(0, count * model.keyDimension),
      values: settings.random.floats(count * model.valueDimension, -1, 1),
      radii: new Float32Array(count).fill(settings.radius),
      labels: Array.from({ length: count }, (_, index) => index % settings.classes),
    },
    [],
    0,
  );
}
