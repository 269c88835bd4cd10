import { spawn } from 'node:child_process';

/** What a finished child process left: its exit code (`null` when killed) and stdout and stderr interleaved. */
export interface ProcessResult {
  readonly code: number | null;
  readonly output: string;
}

export interface RunProcessOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Killed after this many milliseconds (the result then has code `null`). */
  readonly timeoutMs?: number;
}

/** Runs a command to its end without a shell; never rejects for a non-zero exit, so callers assert on it. */
export function runProcess(command: string, args: readonly string[], options: RunProcessOptions = {}) {
  return new Promise<ProcessResult>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
