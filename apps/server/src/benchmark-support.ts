import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The token every benchmark server is started with. */
export const benchmarkToken = 'benchmark-token-0123456789';
// `dist/../dist` from the built benchmarks, `src/../dist` from tests run on the sources.
const serverCli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'server-cli.js');

/** A server started as its own process; `output` collects what it printed. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Milliseconds from spawn to the `listening on` line. */
  readonly startMilliseconds: number;
  readonly output: () => string;
}

/** Starts the built server (`--port 0`, `--log-level silent` plus `args`) and waits for `listening on`. */
export function startServerProcess(args: readonly string[]): Promise<ServerProcess> {
  const started = performance.now();
  const child = spawn(process.execPath, [serverCli, '--port', '0', '--log-level', 'silent', ...args], {
    env: { ...process.env, GRACE_TOKEN: benchmarkToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match !== null) {
        resolve({
          child,
          url: match[1] as string,
          startMilliseconds: performance.now() - started,
          output: () => output,
        });
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

/** Stops a server process and waits for it to exit. */
export async function stopServerProcess(
  server: ServerProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill(signal);
  await exited;
}

/** Completions and latencies of one closed-loop load. */
export interface LoadResult {
  readonly completed: number;
  readonly perSecond: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly p50: number;
  readonly p99: number;
}

/**
 * A closed loop of `connections` keep-alive connections from `localAddress` (a loopback address, so the
 * server sees a distinct client), each sending `body` to `path` as soon as its previous answer arrived, for
 * `seconds`. Counts answers by status; latencies of 2xx answers in milliseconds.
 */
export async function closedLoop(options: {
  readonly url: string;
  readonly path: string;
  readonly body: string;
  readonly connections: number;
  readonly seconds: number;
  readonly localAddress: string;
  readonly token?: string;
}): Promise<LoadResult> {
  const { hostname, port } = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const payload = Buffer.from(options.body);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const deadline = performance.now() + options.seconds * 1000;
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const started = performance.now();
      const outgoing = request(
        {
          host: hostname,
          port: Number(port),
          path: options.path,
          method: 'POST',
          agent,
          localAddress: options.localAddress,
          headers: {
            'content-type': 'application/json',
            'content-length': payload.length,
            ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
          },
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            const status = String(response.statusCode);
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (status.startsWith('2')) latencies.push(performance.now() - started);
            resolve();
          });
        },
      );
      outgoing.on('error', () => {
        statuses.error = (statuses.error ?? 0) + 1;
        resolve();
      });
      outgoing.end(payload);
    });
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < deadline) await once();
    }),
  );
  agent.destroy();
  latencies.sort((left, right) => left - right);
  const quantile = (fraction: number): number =>
    latencies.length === 0
      ? Number.NaN
      : (latencies[Math.floor(fraction * (latencies.length - 1))] as number);
  return {
    completed: latencies.length,
    perSecond: latencies.length / options.seconds,
    statuses,
    p50: quantile(0.5),
    p99: quantile(0.99),
  };
}

/** A JSON request with the benchmark token; throws on a non-2xx answer. */
export async function call(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${benchmarkToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}
