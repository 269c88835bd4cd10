import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { decodeCodebook } from '@grace/core';
import Database from 'better-sqlite3';
import {
  benchmarkToken,
  call,
  closedLoop,
  type ServerProcess,
  startServerProcess,
  stopServerProcess,
} from './benchmark-support.js';
import { seedEditLog } from './seed-edit-log.js';
import { servedModelFactories } from './served-models.js';

/**
 * Decision it informs: whether the server keeps serving under the faults an attacker or a failing disk
 * causes — a flood of maximal anonymous predictions, a thousand bodies that never finish, rollbacks at 1,000
 * keys, a long log with rollbacks at start-up, SIGKILL in the middle of edits. Each phase runs the built server
 * as its own process on loopback; distinct clients use distinct loopback addresses (127.0.0.2, .3), as the
 * server's per-client bounds key on the address. Bounded: every phase has a fixed duration or count.
 *
 * `node dist/hardening-benchmark.js [--phase flood|slow-body|rollback|startup|sigkill|all] [--seconds 5]
 * [--output results.json]`
 */
const phases = ['flood', 'slow-body', 'rollback', 'startup', 'sigkill'] as const;
type Phase = (typeof phases)[number];

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : (process.argv[index + 1] as string);
}

const seconds = Number(option('seconds', '5'));
const results: Record<string, unknown> = {};
const directories: string[] = [];
const temporary = (): string => {
  const directory = mkdtempSync(join(tmpdir(), 'grace-hardening-'));
  directories.push(directory);
  return directory;
};
const sentence = (index: number): string =>
  ['Dies ist ein deutscher Satz', 'Tämä on suomea', 'Ceci est une phrase en français'][index % 3] as string;

/** Other clients' prediction rate alone, then while one client floods with maximal requests. */
async function flood(): Promise<void> {
  const server = await startServerProcess(['--data-dir', temporary(), '--rate-limit', '0']);
  const other = {
    url: server.url,
    path: '/v1/predict',
    body: JSON.stringify({ inputs: [sentence(0)] }),
    connections: 10,
    localAddress: '127.0.0.3',
  };
  const letters = 'abcdefghijklmnopqrstuvwxyz ';
  const text = Array.from({ length: 4000 }, (_, index) => letters[(index * 7) % letters.length]).join('');
  const maximal = JSON.stringify({ inputs: Array.from({ length: 64 }, () => text) });
  await closedLoop({ ...other, seconds: 1 });
  const alone = await closedLoop({ ...other, seconds });
  const [loaded, flooder] = await Promise.all([
    closedLoop({ ...other, seconds }),
    closedLoop({
      url: server.url,
      path: '/v1/predict',
      body: maximal,
      connections: 16,
      seconds,
      localAddress: '127.0.0.2',
    }),
  ]);
  const oversized = await fetch(`${server.url}/v1/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: Array.from({ length: 256 }, () => text) }),
  });
  results.flood = {
    maximalRequestBytes: maximal.length,
    otherAlone: alone,
    otherDuringFlood: loaded,
    flooder,
    otherKeeps: loaded.perSecond / alone.perSecond,
    issueCase256x4000Status: oversized.status,
  };
  await stopServerProcess(server);
}

/** 1,000 connections that send headers and part of a body, then /healthz from another client. */
async function slowBody(): Promise<void> {
  const server = await startServerProcess(['--data-dir', temporary()]);
  const { hostname, port } = new URL(server.url);
  const partial = `POST /v1/predict HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"inputs":[`;
  const sockets: Socket[] = [];
  let answered408 = 0;
  for (let index = 0; index < 1000; index++) {
    const socket = connect({ host: hostname, port: Number(port), localAddress: '127.0.0.2' });
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      if (chunk.toString().startsWith('HTTP/1.1 408')) answered408++;
    });
    socket.write(partial);
    sockets.push(socket);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const held = sockets.filter((socket) => !socket.destroyed).length;
  const health: { status: number; milliseconds: number }[] = [];
  for (let round = 0; round < 20; round++) {
    const started = performance.now();
    const response = await fetch(`${server.url}/healthz`).catch(() => undefined);
    health.push({ status: response?.status ?? 0, milliseconds: performance.now() - started });
  }
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  results.slowBody = {
    connectionsOpened: 1000,
    // Refused connections may still sit in the kernel's accept queue a while: counted from the client side.
    openAfterOneSecond: held,
    openAfterTwelveSeconds: sockets.filter((socket) => !socket.destroyed).length,
    healthStatuses: health.map((entry) => entry.status),
    healthMaxMilliseconds: Math.max(...health.map((entry) => entry.milliseconds)),
    answered408AfterRequestTimeout: answered408,
  };
  for (const socket of sockets) socket.destroy();
  await stopServerProcess(server);
}

/** Prediction latency at 1,000 keys alone, then while rollbacks run one after another. */
async function rollback(): Promise<void> {
  const directory = temporary();
  const lande = servedModelFactories.lande as (typeof servedModelFactories)[string];
  const servedModel = await lande({ backend: createCpuBackend(), seed: 7 });
  const ids = await seedEditLog(directory, servedModel, 1000, (index, keyDimension) =>
    Float32Array.from({ length: keyDimension }, (_, column) => ((index * 31 + column * 17) % 97) / 2),
  );
  const server = await startServerProcess(['--data-dir', directory, '--rate-limit', '0']);
  const load = {
    url: server.url,
    path: '/v1/predict',
    body: JSON.stringify({ inputs: [sentence(1)] }),
    connections: 10,
    localAddress: '127.0.0.3',
  };
  await closedLoop({ ...load, seconds: 1 });
  const alone = await closedLoop({ ...load, seconds });
  const rollbackMilliseconds: number[] = [];
  let running = true;
  const rollbacks = (async () => {
    for (let index = 0; running && index < ids.length; index += 97) {
      const started = performance.now();
      await call(server.url, 'DELETE', `/v1/edits/${ids[index]}`);
      rollbackMilliseconds.push(performance.now() - started);
    }
  })();
  const during = await closedLoop({ ...load, seconds });
  running = false;
  await rollbacks;
  results.rollback = {
    keys: 1000,
    predictionsAlone: alone,
    predictionsDuringRollbacks: during,
    rollbackMilliseconds,
  };
  await stopServerProcess(server);
}

/** 10,000 edits and 100 rollbacks through the API, then restarts: with checkpoints, and without them. */
async function startup(): Promise<void> {
  const directory = temporary();
  const args = [
    '--data-dir',
    directory,
    '--model',
    'synthetic',
    '--training-iterations',
    '1',
    '--rate-limit',
    '0',
  ];
  const first = await startServerProcess(args);
  const active: string[] = [];
  let rolledBack = 0;
  for (let batch = 0; batch * 64 < 10_000; batch++) {
    const edits = Array.from({ length: Math.min(64, 10_000 - batch * 64) }, (_, offset) => {
      const index = batch * 64 + offset;
      return { input: [-100 + 2 * (index % 100), -100 + 2 * Math.floor(index / 100)], label: index % 2 };
    });
    const answer = (await call(first.url, 'POST', '/v1/edits', { edits })) as { edits: { id: string }[] };
    active.push(...answer.edits.map((edit) => edit.id));
    while (rolledBack < Math.floor(((batch + 1) * 64) / 100) && rolledBack < 100) {
      const [id] = active.splice((rolledBack * 37) % active.length, 1);
      await call(first.url, 'DELETE', `/v1/edits/${id}`);
      rolledBack++;
    }
  }
  await stopServerProcess(first);
  const restarts: { checkpoints: boolean; startMilliseconds: number; lines: string[] }[] = [];
  for (const checkpoints of option('without-checkpoints', 'no') === 'yes' ? [true, false] : [true, true]) {
    if (!checkpoints) {
      const database = new Database(join(directory, 'synthetic.edit-log.sqlite'));
      database.prepare('DELETE FROM checkpoints').run();
      database.close();
    }
    const server = await startServerProcess(args);
    const lines = server
      .output()
      .split('\n')
      .filter((line) => /^(edit log|replayed|log replayed|ready in)/.test(line));
    restarts.push({ checkpoints, startMilliseconds: server.startMilliseconds, lines });
    await stopServerProcess(server);
  }
  results.startup = { edits: 10_000, rollbacks: rolledBack, restarts };
}

/** 20 cycles: edits stream in, SIGKILL after a few acknowledgements, restart, every acknowledged edit checked. */
async function sigkill(): Promise<void> {
  const directory = temporary();
  const args = ['--data-dir', directory, '--model', 'synthetic', '--training-iterations', '40'];
  const acknowledged: string[] = [];
  const lostPerCycle: number[] = [];
  let index = 0;
  for (let cycle = 0; cycle < 20; cycle++) {
    const server: ServerProcess = await startServerProcess(args);
    const target = acknowledged.length + 3 + (cycle % 7);
    const stream = (async () => {
      for (;;) {
        const x = -100 + 2 * (index % 100);
        const y = -100 + 2 * Math.floor(index / 100);
        index++;
        const answer = (await call(server.url, 'POST', '/v1/edits', {
          edits: [{ input: [x, y], label: index % 2 }],
        })) as {
          edits: { id: string }[];
        };
        acknowledged.push(...answer.edits.map((edit) => edit.id));
      }
    })().catch(() => undefined);
    while (acknowledged.length < target) await new Promise((resolve) => setTimeout(resolve, 2));
    await stopServerProcess(server, 'SIGKILL');
    await stream;
    const check = await startServerProcess(args);
    const file = await fetch(`${check.url}/v1/codebook/file`, {
      headers: { authorization: `Bearer ${benchmarkToken}` },
    });
    const recovered = new Set(
      decodeCodebook(new Uint8Array(await file.arrayBuffer())).records.map((record) => record.id),
    );
    lostPerCycle.push(acknowledged.filter((id) => !recovered.has(id)).length);
    await stopServerProcess(check);
  }
  results.sigkill = {
    cycles: 20,
    acknowledged: acknowledged.length,
    lost: lostPerCycle.reduce((sum, lost) => sum + lost, 0),
    lostPerCycle,
  };
}

const runners: Record<Phase, () => Promise<void>> = {
  flood,
  'slow-body': slowBody,
  rollback,
  startup,
  sigkill,
};
const chosen = option('phase', 'all');
try {
  for (const phase of phases) {
    if (chosen !== 'all' && chosen !== phase) continue;
    const started = performance.now();
    await runners[phase]();
    console.log(`${phase} (${((performance.now() - started) / 1000).toFixed(0)} s):`);
    console.log(JSON.stringify(results[phase === 'slow-body' ? 'slowBody' : phase], null, 2));
  }
} finally {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
}
const output = process.argv.indexOf('--output');
if (output >= 0) writeFileSync(process.argv[output + 1] as string, `${JSON.stringify(results, null, 2)}\n`);
