import type { OptionSpecification, ParsedOptions } from './parse-arguments.js';

/**
 * A benchmark the CLI can run (`bench-cli <name> [options]`). Each benchmark declares its own options so
 * the help text and the parser stay in step with what it reads, and a new benchmark is one more entry in
 * the CLI's list.
 */
export interface BenchmarkCommand {
  readonly name: string;
  /** One line for the help text: what it measures. */
  readonly description: string;
  readonly options: readonly OptionSpecification[];
  /** Runs the benchmark; throws a `UsageError` for bad options, any other error for a failed run. */
  readonly run: (options: ParsedOptions) => Promise<void>;
}
