import { fileURLToPath } from 'node:url';
import { benchmarkBackendFactories } from './backends.js';
import { type OptionSpecification, type ParsedOptions, parseNameList } from './parse-arguments.js';

/**
 * Options every benchmark shares, declared once so the help texts and defaults cannot drift apart.
 */

/** `--backend LIST`: which backends to run side by side. */
export const backendListOption: OptionSpecification = {
  name: 'backend',
  valueName: 'LIST',
  description: `comma list of backends (known: ${benchmarkBackendFactories.map((factory) => factory.name).join(', ')}; default cpu)`,
};

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

/** The backends named by `--backend`, or the CPU reference alone. */
export function backendNames(options: ParsedOptions): string[] {
  const backend = options.values.get('backend');
  return backend === undefined ? ['cpu'] : parseNameList(backend, 'backend');
}

/** `apps/bench/results/<benchmark>-<UTC time>.json`, wherever the CLI is started from. */
export function defaultOutPath(benchmark: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
  return fileURLToPath(new URL(`../results/${benchmark}-${stamp}.json`, import.meta.url));
}
