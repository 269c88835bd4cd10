import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCpuBackend } from '@grace/backend-cpu';
import autocannon from 'autocannon';
import { replicaBenchmark } from './replica-benchmark.js';
import { seedEditLog } from './seed-edit-log.js';
import { createSyntheticServedModel } from './synthetic-served-model.js';

/**
 * Decision it informs: whether one Node process can serve predictions of an edited model at a useful rate,
 * whether 1,000 keys cost anything visible, and whether predictions stay fast while edits train (they train
 * on a working copy and yield to the event loop between Adam iterations).
 *
 * The server runs as its own process on 127.0.0.1; autocannon drives POST /v1/predict (one input per
 * request) for a fixed duration per phase. The 1,000 keys are written straight into the edit log (spread so
 * every one is an ADD) and replayed at start, which also times a replay. Bounded: three phases of
 * `--duration` seconds plus start-ups.
 */
const token = 'benchmark-token-0123456789';
const serverCli = join(dirname(fileURLToPath(import.meta.url)), 'server-cli.js');

interface PhaseResult {
  readonly phase: string;
  readonly keys: number;
  readonly requestsPerSecond: number;
  readonly latencyMilliseconds: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly editsCompleted?: number;
  readonly medianEditMilliseconds?: number;
}

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : Number(process.argv[index + 1]);
}

async function startServer(
  dataDirectory: string,
): Promise<{ child: ChildProcess; url: string; readyMs: number }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      serverCli,
      '--model',
      'synthetic',
      '--port',
      '0',
      '--data-dir',
      dataDirectory,
      '--rate-limit',
      '0',
      '--log-level',
      'silent',
    ],
    {
      env: { ...process.env, GRACE_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match !== null) resolve({ child, url: match[1] as string, readyMs: performance.now() - started });
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

/** 1,000 ADD edits on a 40 × 25 grid with spacing 2 (balls of radius 0.45 never meet), written to the log. */
async function seedLog(dataDirectory: string, keys: number): Promise<void> {
  const servedModel = await createSyntheticServedModel({ backend: createCpuBackend(), seed: 7 });
  await seedEditLog(dataDirectory, servedModel, keys, (index) =>
    Float32Array.of(-40 + 2 * (index % 40), 10 + 2 * Math.floor(index / 40)),
  );
}

/** One autocannon run against POST /v1/predict, after a 1 s warm-up (JIT, connection set-up) that is not counted. */
async function measure(url: string, phase: string, keys: number, duration: number): Promise<PhaseResult> {
  const load = (seconds: number) =>
    autocannon({
      url: `${url}/v1/predict`,
      method: 'POST',
      connections: 10,
      duration: seconds,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [[-1.5, 0.3]] }),
    });
  await load(1);
  const result = await load(duration);
  return {
    phase,
    keys,
    requestsPerSecond: result.requests.average,
    latencyMilliseconds: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Posts edits one after another (100 Adam iterations each, the default) until told to stop. */
function streamEdits(url: string): { stop: () => Promise<number[]> } {
  let running = true;
  const milliseconds: number[] = [];
  const loop = (async () => {
    for (let index = 0; running; index++) {
      const started = performance.now();
      const response = await fetch(`${url}/v1/edits`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          edits: [{ input: [-3 - 0.01 * (index % 50), 0.9 + 0.6 * (index % 3)], label: 1 }],
        }),
      });
      if (!response.ok) throw new Error(`edit failed: ${response.status} ${await response.text()}`);
      milliseconds.push(performance.now() - started);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return milliseconds;
    },
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor(sorted.length / 2)] as number);
}

async function main(): Promise<void> {
  const duration = argument('duration', 5);
  const keyCount = argument('keys', 1000);
  const directories = [
    mkdtempSync(join(tmpdir(), 'grace-bench-')),
    mkdtempSync(join(tmpdir(), 'grace-bench-')),
  ];
  const results: PhaseResult[] = [];
  const notes: Record<string, number> = {};
  try {
    const empty = await startServer(directories[0] as string);
    notes.startMilliseconds = empty.readyMs;
    results.push(await measure(empty.url, 'predict, empty codebook', 0, duration));
    empty.child.kill('SIGTERM');

    await seedLog(directories[1] as string, keyCount);
    const seeded = await startServer(directories[1] as string);
    notes.startWithReplayMilliseconds = seeded.readyMs;
    results.push(await measure(seeded.url, `predict, ${keyCount} keys`, keyCount, duration));
    const edits = streamEdits(seeded.url);
    const underEdits = await measure(
      seeded.url,
      `predict, ${keyCount} keys, edits streaming`,
      keyCount,
      duration,
    );
    const editTimes = await edits.stop();
    results.push({
      ...underEdits,
      editsCompleted: editTimes.length,
      medianEditMilliseconds: median(editTimes),
    });
    seeded.child.kill('SIGTERM');
  } finally {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  }
  console.log(`POST /v1/predict, 1 input per request, 10 connections, ${duration} s per phase, loopback`);
  for (const result of results) {
    const { p50, p99 } = result.latencyMilliseconds;
    console.log(
      `${result.phase.padEnd(40)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${p50} ms  p99 ${p99} ms  ` +
        `errors ${result.errors}  non-2xx ${result.non2xx}` +
        (result.editsCompleted === undefined
          ? ''
          : `  (${result.editsCompleted} edits, median ${result.medianEditMilliseconds?.toFixed(0)} ms each)`),
    );
  }
  console.log(
    `start-up: ${notes.startMilliseconds?.toFixed(0)} ms empty, ${notes.startWithReplayMilliseconds?.toFixed(0)} ms with ${keyCount} edits replayed`,
  );
  const output = process.argv.indexOf('--output');
  if (output >= 0)
    writeFileSync(process.argv[output + 1] as string, `${JSON.stringify({ results, notes }, null, 2)}\n`);
  const failures = results.filter((result) => result.errors > 0 || result.non2xx > 0);
  if (failures.length > 0) {
    console.error(`errors under load in: ${failures.map((result) => result.phase).join(', ')}`);
    process.exitCode = 1;
  }
}

// `--replicas N`: the scale-out benchmark (replicas on one PostgreSQL edit log) instead.
await (process.argv.includes('--replicas') ? replicaBenchmark(argument) : main());
