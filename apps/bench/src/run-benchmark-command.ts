import type { BenchmarkCommand } from './benchmark-command.js';
import { formatOptionHelp, parseOptions } from './parse-arguments.js';
import { UsageError } from './usage-error.js';

/** Exit codes: 0 done, 1 a benchmark failed (e.g. a kernel disagreed with the oracle), 2 a usage mistake. */
export type ExitCode = 0 | 1 | 2;

/** One benchmark's help text: its usage line, what it measures and its options. */
export function formatCommandHelp(command: BenchmarkCommand): string {
  return [
    `usage: pnpm bench ${command.name} [options]`,
    '',
    command.description,
    '',
    'options:',
    formatOptionHelp(command.options),
  ].join('\n');
}

/**
 * Parses `argumentList` (the arguments after the benchmark's name) for `command` and runs it: `--help` prints its
 * help, a usage mistake prints the mistake and the help (exit code 2), any other error its stack (exit code 1).
 * Returns the exit code rather than exiting, so tests can call it; shared by the bench CLI and the one-command
 * entry that GPU machines run as a single bundled file.
 */
export async function runBenchmarkCommand(
  command: BenchmarkCommand,
  argumentList: readonly string[],
): Promise<ExitCode> {
  try {
    const options = parseOptions(argumentList, command.options);
    if (options.flags.has('help')) {
      process.stdout.write(`${formatCommandHelp(command)}\n`);
      return 0;
    }
    await command.run(options);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`bench ${command.name}: ${error.message}\n\n${formatCommandHelp(command)}\n`);
      return 2;
    }
    process.stderr.write(
      `bench ${command.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}
