import { fileURLToPath } from 'node:url';
import type { OptionSpecification } from './parse-arguments.js';

/**
 * Options every benchmark shares, declared once so the help texts and defaults cannot drift apart. `--backend`
 * lives beside the backends (backends.ts), so that a command that names none, bundled alone, loads none.
 */

/** `--out FILE` for a benchmark's JSON report. */
export function jsonReportOption(benchmark: string): OptionSpecification {
  return {
    name: 'out',
    valueName: 'FILE',
    description: `JSON report (default apps/bench/results/${benchmark}-<date>.json)`,
  };
}

/** `--edits N`: timed edits after one warm-up, for the benchmarks that edit. */
export function editsOption(perWhat: string, defaultEdits: number): OptionSpecification {
  return {
    name: 'edits',
    valueName: 'N',
    description: `timed edits per ${perWhat} after 1 warm-up (default ${defaultEdits})`,
  };
}

/** `--iterations N`: Adam iterations per edit. */
export function iterationsOption(defaultIterations: number): OptionSpecification {
  return {
    name: 'iterations',
    valueName: 'N',
    description: `Adam iterations per edit (default ${defaultIterations})`,
  };
}

/** `--help`. */
export const helpOption: OptionSpecification = { name: 'help', description: 'print this help' };

/** `apps/bench/results/<benchmark>-<UTC time>.json`, wherever the CLI is started from. */
export function defaultOutPath(benchmark: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
  return fileURLToPath(new URL(`../results/${benchmark}-${stamp}.json`, import.meta.url));
}
