#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ballTreeCommand } from './ball-tree-command.js';
import type { BenchmarkCommand } from './benchmark-command.js';
import { editCommand } from './edit-command.js';
import { generateCommand } from './generate-command.js';
import { growthCommand } from './growth-command.js';
import { lookupCommand } from './lookup-command.js';
import { onnxCommand } from './onnx-command.js';
import { type ExitCode, runBenchmarkCommand } from './run-benchmark-command.js';
import { searchStudyCommand } from './search-study-command.js';
import { useTokenCommand } from './use-token-command.js';
import { webgpuDeviceCommand } from './webgpu-device-command.js';

/** Every benchmark the CLI runs, in the order the help text lists them. */
export const benchmarkCommands: readonly BenchmarkCommand[] = [
  lookupCommand,
  editCommand,
  ballTreeCommand,
  growthCommand,
  onnxCommand,
  searchStudyCommand,
  useTokenCommand,
  generateCommand,
  webgpuDeviceCommand,
];

export type { ExitCode } from './run-benchmark-command.js';

/** The help text: the benchmarks and how to call them. */
export function formatHelp(commands: readonly BenchmarkCommand[] = benchmarkCommands): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'usage: pnpm bench <benchmark> [options]     (or: node apps/bench/dist/bench-cli.js <benchmark> [options])',
    '',
    'benchmarks:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.description}`),
    '',
    'options of each: pnpm bench <benchmark> --help',
    '',
    "The lifelong-editing experiments (the paper's protocol: TRR, ERR, ES, Holdout) are demos, not benchmarks:",
    '  pnpm demo [lande|mnist|spam|synthetic|codebook]   (default lande; writes apps/bench/results/)',
  ].join('\n');
}

/**
 * Runs the CLI on `argumentList` (the arguments after the script) and returns the exit code rather than
 * exiting, so tests can call it.
 */
export async function runBenchCli(argumentList: readonly string[]): Promise<ExitCode> {
  // pnpm may forward a `--` separator before the script's own arguments.
  const [name, ...rest] = argumentList[0] === '--' ? argumentList.slice(1) : argumentList;
  if (name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${formatHelp()}\n`);
    return 0;
  }
  const command = benchmarkCommands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    const problem = name === undefined ? 'no benchmark given' : `unknown benchmark '${name}'`;
    process.stderr.write(`bench: ${problem}\n\n${formatHelp()}\n`);
    return 2;
  }
  return runBenchmarkCommand(command, rest);
}

// Run only when executed as a script, not when a test imports this module.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = await runBenchCli(process.argv.slice(2));
}
