import type { GraceBackend } from '../backend.js';
import { GraceError } from '../errors.js';
import { ConformanceFailure } from './assertions.js';

/**
 * One check that a backend behaves like the reference.
 *
 * A case is a plain object with an async `run`, not a vitest test, so the same cases run under vitest in
 * Node, inside a browser page on a real GPU, or from a command-line tool; each runner only decides how to
 * report. `run` resolves when the backend passes and throws (a {@link ConformanceFailure} for a wrong
 * answer) when it does not.
 */
export interface ConformanceCase {
  /** The group the case belongs to, usually the kernel it checks, e.g. `nearestKey`. */
  readonly suite: string;
  /** What the case checks, unique within its suite. */
  readonly name: string;
  run(backend: GraceBackend): Promise<void>;
}

/** How strictly float results are compared; everything else (indices, bit copies, error codes) is exact. */
export interface ConformanceOptions {
  /**
   * Float comparisons pass when `|actual - expected| <= tolerance * max(1, |expected|)`: relative for
   * magnitudes above 1, absolute below, so values near zero do not demand impossible relative precision.
   * Near-ties (two keys, or a distance and a radius, closer than this) accept either outcome. The default,
   * {@link defaultConformanceTolerance}, suits float32 GPU backends; a backend may ask for less, down to 0
   * (the CPU backend is exact).
   */
  readonly tolerance?: number;
}

/** Loose enough for float32 accumulation on a GPU over the sizes the cases use, tight enough to catch bugs. */
export const defaultConformanceTolerance = 1e-4;

/** {@link ConformanceOptions} with every default filled in, as the case factories receive them. */
export interface ResolvedConformanceOptions {
  readonly tolerance: number;
}

/** Fills in defaults and refuses a tolerance that would make every comparison pass or fail. */
export function resolveConformanceOptions(options: ConformanceOptions = {}): ResolvedConformanceOptions {
  const tolerance = options.tolerance ?? defaultConformanceTolerance;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new GraceError('INVALID_ARGUMENT', `conformance tolerance must be a finite number >= 0`, {
      tolerance,
    });
  }
  return { tolerance };
}

/**
 * Builds a case whose failures name it: whatever `run` throws is rethrown as a {@link ConformanceFailure}
 * whose message starts with `suite › name`, with the original as `cause`, so a report read outside the
 * runner that produced it (a browser console, a CI log) still says which case failed.
 */
export function defineConformanceCase(
  suite: string,
  name: string,
  run: (backend: GraceBackend) => Promise<void>,
): ConformanceCase {
  return {
    suite,
    name,
    async run(backend: GraceBackend): Promise<void> {
      try {
        await run(backend);
      } catch (error) {
        const reason =
          error instanceof ConformanceFailure
            ? error.message
            : `unexpected ${error instanceof Error ? error.message : String(error)}`;
        throw new ConformanceFailure(`${suite} › ${name}: ${reason}`, { cause: error });
      }
    },
  };
}
