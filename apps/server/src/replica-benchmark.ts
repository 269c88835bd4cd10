import { writeFileSync } from 'node:fs';
import { decodeCodebook } from '@grace/core';
import autocannon from 'autocannon';
import { benchmarkToken, type ServerProcess } from './benchmark-support.js';
import { startPostgresCluster } from './postgres-cluster.js';
import { editHistoryInputs, editThroughFailover, ReplicaSet, sleep } from './replica-set.js';

/**
 * `pnpm --filter @grace/server bench --replicas 3 [--duration 5] [--kills 20] [--output file.json]`.
 *
 * Decisions it informs: whether more replicas on one PostgreSQL log serve more predictions on this machine,
 * how far replicas trail the writer while edits stream, and whether a writer killed mid-stream loses an
 * acknowledged edit or applies one twice. Everything runs on loopback against a throw-away cluster:
 * 1. predictions/s of 1 process, then of `--replicas` processes (autocannon, 12 connections in all, spread
 *    evenly, one input per request);
 * 2. replication lag: edits stream to the writer; after each acknowledgement at position P, every other
 *    replica is asked to predict at `minimumLogPosition: P`, timed from the acknowledgement to its answer
 *    (an upper bound of the lag: it includes one prediction round trip, also reported alone);
 * 3. `--kills` times: SIGKILL the writer while edits stream (clients retry with their `Idempotency-Key` and
 *    follow `GRACE-Writer`), start a replacement; then count acknowledged edits missing or doubled.
 */
export async function replicaBenchmark(argument: (name: string, fallback: number) => number): Promise<void> {
  const replicaCount = argument('replicas', 3);
  const duration = argument('duration', 5);
  const kills = argument('kills', 20);
  const cluster = await startPostgresCluster();
  const sets: ReplicaSet[] = [];
  const report: Record<string, unknown> = { replicas: replicaCount, duration, kills };
  try {
    const set = new ReplicaSet(await cluster.createDatabase('bench'), ['--log-level', 'silent']);
    sets.push(set);
    await set.start(1);
    await set.writer();
    report.oneReplicaPredictionsPerSecond = await predictionsPerSecond(set, duration);
    await set.start(replicaCount - 1);
    await set.converged();
    report.replicasPredictionsPerSecond = await predictionsPerSecond(set, duration);
    report.lagMilliseconds = await replicationLag(set, duration);

    const failover = new ReplicaSet(await cluster.createDatabase('failover'), ['--log-level', 'silent']);
    sets.push(failover);
    await failover.start(replicaCount);
    report.failover = await killWriters(failover, kills);
  } finally {
    await Promise.all(sets.map((set) => set.stop()));
    cluster.destroy();
  }
  console.log(JSON.stringify(report, null, 2));
  const output = process.argv.indexOf('--output');
  if (output >= 0) writeFileSync(process.argv[output + 1] as string, `${JSON.stringify(report, null, 2)}\n`);
  const failover = report.failover as { lost: number; doubled: number };
  if (failover.lost > 0 || failover.doubled > 0) process.exitCode = 1;
}

/** Predictions per second of every process together: 12 connections spread evenly, after a 1 s warm-up. */
async function predictionsPerSecond(set: ReplicaSet, seconds: number): Promise<number> {
  const replicas = set.alive();
  const load = (url: string, duration: number) =>
    autocannon({
      url: `${url}/v1/predict`,
      method: 'POST',
      connections: Math.max(1, Math.round(12 / replicas.length)),
      duration,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [[-1.5, 0.3]] }),
    });
  await Promise.all(replicas.map((replica) => load(replica.url, 1)));
  const results = await Promise.all(replicas.map((replica) => load(replica.url, seconds)));
  const failed = results.reduce((sum, result) => sum + result.errors + result.non2xx, 0);
  if (failed > 0) throw new Error(`${failed} predictions failed`);
  return Math.round(results.reduce((sum, result) => sum + result.requests.total, 0) / seconds);
}

/** Milliseconds from an edit's acknowledgement to each other replica answering at its position. */
async function replicationLag(set: ReplicaSet, seconds: number): Promise<Record<string, number>> {
  const writer = await set.writer();
  const replicas = set.alive().filter((replica) => replica !== writer);
  const lags: number[] = [];
  const alone: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  for (let index = 0; performance.now() < deadline; index++) {
    const response = await fetch(`${writer.url}/v1/edits`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${benchmarkToken}` },
      body: JSON.stringify({ edits: [{ input: [-30 + 0.37 * index, 20 + (index % 7)], label: index % 2 }] }),
    });
    if (!response.ok) throw new Error(`edit failed: ${response.status} ${await response.text()}`);
    const acknowledged = performance.now();
    const { logPosition } = (await response.json()) as { logPosition: number };
    await Promise.all(
      replicas.map(async (replica) => {
        lags.push(await timedPredict(replica.url, acknowledged, logPosition));
        // The same request once more, now certainly at that position: what a prediction costs alone.
        alone.push(await timedPredict(replica.url, performance.now(), logPosition));
      }),
    );
  }
  const predictionAlone = quantiles(alone);
  return {
    samples: lags.length,
    ...quantiles(lags),
    predictionAloneP50: predictionAlone.p50,
    predictionAloneP99: predictionAlone.p99,
  };
}

/** Milliseconds from `since` until `url` answers a prediction at log position `position` or later. */
async function timedPredict(url: string, since: number, position: number): Promise<number> {
  const read = await fetch(`${url}/v1/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [[0, 0]], minimumLogPosition: position }),
  });
  if (!read.ok) throw new Error(`read at ${position} failed: ${read.status} ${await read.text()}`);
  await read.body?.cancel();
  return performance.now() - since;
}

/** SIGKILLs the writer `kills` times while edits stream; counts acknowledged edits lost or doubled. */
async function killWriters(set: ReplicaSet, kills: number): Promise<Record<string, number>> {
  await set.writer();
  const acknowledged: string[] = [];
  const acknowledgedAt: number[] = [];
  let streaming = true;
  const stream = (async () => {
    for (let index = 0; streaming; index++) {
      const body = { edits: [{ input: [index * 1.5, (index % 5) - 2], label: index % 2 }] };
      const outcome = await editThroughFailover(set, body, `kill-${index}`, performance.now() + 60_000);
      if (outcome.acknowledged) {
        acknowledged.push(...outcome.ids);
        acknowledgedAt.push(performance.now());
      }
    }
  })();
  const failovers: number[] = [];
  for (let kill = 0; kill < kills; kill++) {
    const before = acknowledged.length;
    while (acknowledged.length < before + 3) await sleep(10);
    const writer = await set.writer();
    await set.kill(writer);
    const killed = performance.now();
    const afterKill = acknowledged.length;
    await set.start(1);
    while (acknowledged.length <= afterKill) await sleep(10);
    failovers.push((acknowledgedAt[afterKill] as number) - killed);
    console.log(
      `kill ${kill + 1}/${kills}: next edit acknowledged ${Math.round(failovers.at(-1) as number)} ms later`,
    );
  }
  streaming = false;
  await stream;
  const files = [...(await set.converged(60_000)).values()];
  const identical = files.every((file) => file.equals(files[0] as Buffer));
  const ids = new Set(decodeCodebook(files[0] as Buffer).records.map((record) => record.id));
  const inputs = await editHistoryInputs(set.alive()[0] as ServerProcess);
  const failover = quantiles(failovers);
  return {
    kills,
    acknowledged: acknowledged.length,
    lost: acknowledged.filter((id) => !ids.has(id)).length,
    doubled: inputs.length - new Set(inputs).size,
    replicasIdentical: identical ? 1 : 0,
    failoverP50Milliseconds: failover.p50,
    failoverMaxMilliseconds: failover.max,
  };
}

function quantiles(values: readonly number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((left, right) => left - right);
  const at = (fraction: number) =>
    Math.round(sorted[Math.floor(fraction * (sorted.length - 1))] ?? Number.NaN);
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
}
