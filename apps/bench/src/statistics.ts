/**
 * Summary statistics of repeated timings. Benchmarks report the median because a noisy machine adds
 * occasional slow outliers (GC, other processes) that would drag a mean; min and max show the spread.
 */
export interface TimingSummary {
  /** Median of the samples, in milliseconds. */
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** How many samples the summary is of. */
  readonly runs: number;
}

/** Median of a non-empty list; for an even count, the mean of the two middle values. */
export function median(samples: readonly number[]): number {
  requireSamples(samples, 'median');
  const sorted = [...samples].sort((left, right) => left - right);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Smallest sample of a non-empty list. */
export function minimum(samples: readonly number[]): number {
  requireSamples(samples, 'minimum');
  return Math.min(...samples);
}

/** Largest sample of a non-empty list. */
export function maximum(samples: readonly number[]): number {
  requireSamples(samples, 'maximum');
  return Math.max(...samples);
}

/** Median, min, max and count of timings in milliseconds. */
export function summarizeTimings(samplesMs: readonly number[]): TimingSummary {
  return {
    medianMs: median(samplesMs),
    minMs: minimum(samplesMs),
    maxMs: maximum(samplesMs),
    runs: samplesMs.length,
  };
}

function requireSamples(samples: readonly number[], statistic: string): void {
  if (samples.length === 0) throw new RangeError(`${statistic} of an empty list is undefined`);
  if (samples.some((sample) => Number.isNaN(sample))) {
    throw new RangeError(`${statistic} of a list containing NaN is undefined`);
  }
}
