import { decodeCodebook } from '@grace/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchmarkToken, type ServerProcess } from './benchmark-support.js';
import { type PostgresCluster, postgresUnavailableReason, startPostgresCluster } from './postgres-cluster.js';
import { editHistoryInputs, editThroughFailover, ReplicaSet, sleep } from './replica-set.js';

const unavailable = postgresUnavailableReason();
if (unavailable !== null) console.warn(`skipping the PostgreSQL replication tests: ${unavailable}`);

const authorization = { authorization: `Bearer ${benchmarkToken}` };
const headers = { ...authorization, 'content-type': 'application/json' };
/** Edit `index`: far apart so most add a key; every third lands near an earlier one (EXPAND or SPLIT). */
const editBody = (index: number) => ({
  edits: [
    { input: [index % 3 === 2 ? (index - 1) * 1.5 + 0.6 : index * 1.5, (index % 5) - 2], label: index % 2 },
  ],
});

async function post(url: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: body === undefined ? authorization : headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

function expectIdentical(files: Map<string, Buffer>): void {
  const [first, ...others] = [...files.values()];
  for (const other of others) expect(other.equals(first as Buffer)).toBe(true);
}

describe.skipIf(unavailable !== null)(
  `replicas on one PostgreSQL edit log${unavailable === null ? '' : ` (skipped: ${unavailable})`}`,
  () => {
    // One cluster and one set of processes for the whole file (each start trains the synthetic model): the
    // tests run in order, 2 processes, then 4 after the late starts, then 2 after the kills.
    let cluster: PostgresCluster;
    let set: ReplicaSet;

    beforeAll(async () => {
      cluster = await startPostgresCluster();
      set = new ReplicaSet(await cluster.createDatabase('replication'), ['--log-level', 'warn']);
      await set.start(2);
    });
    afterAll(async () => {
      await set?.stop();
      cluster?.destroy();
    });

    it('converges byte for byte after edits, rollbacks and a restore; late replicas catch up from 0 and from a checkpoint', async () => {
      const writer = await set.writer();
      const replica = set.alive().find((process) => process !== writer) as ServerProcess;
      // A replica refuses edits and names the writer.
      const refused = await post(replica.url, '/v1/edits', editBody(0));
      expect(refused.status).toBe(503);
      expect(refused.headers.get('grace-writer')).toBe(writer.url);
      expect(((await refused.json()) as { error: string }).error).toBe('NOT_WRITER');

      const ids: string[] = [];
      const edit = async (index: number): Promise<void> => {
        const response = await post(writer.url, '/v1/edits', editBody(index));
        expect(response.status).toBe(200);
        const answer = (await response.json()) as { edits: { id: string }[]; logPosition: number };
        ids.push(...answer.edits.map((accepted) => accepted.id));
        // Read-your-writes on a replica: asked for at least the edit's position, it answers from it or later.
        const reader = set.alive().filter((process) => process !== writer)[index % (set.alive().length - 1)];
        const read = await post(reader?.url as string, '/v1/predict', {
          inputs: [[index * 1.5, 0]],
          minimumLogPosition: answer.logPosition,
        });
        expect(read.status).toBe(200);
        expect(((await read.json()) as { logPosition: number }).logPosition).toBeGreaterThanOrEqual(
          answer.logPosition,
        );
      };
      for (let index = 0; index < 6; index++) await edit(index);
      const [fromStart] = await set.start(1);
      expect(fromStart?.output()).toMatch(/replayed +6 log entries after the start/);

      const snapshot = (await (await post(writer.url, '/v1/snapshots')).json()) as { id: string };
      for (let index = 6; index < 12; index++) await edit(index);
      for (const id of [ids[3], ids[7]]) {
        const response = await fetch(`${writer.url}/v1/edits/${id}`, {
          method: 'DELETE',
          headers: authorization,
        });
        expect(response.status).toBe(200);
      }
      expectIdentical(await set.converged());
      expect((await post(writer.url, `/v1/snapshots/${snapshot.id}/restore`)).status).toBe(200);
      await edit(12);
      // The restore made the writer checkpoint (at position 15); a replica started now replays only the tail.
      await sleep(300);
      const [fromCheckpoint] = await set.start(1);
      expect(fromCheckpoint?.output()).toMatch(/replayed +1 log entries after the checkpoint at position 15/);

      const files = await set.converged();
      expect(files.size).toBe(4);
      expectIdentical(files);
      // The restore brought back the snapshot's six edits; then edit 16.
      expect(decodeCodebook(files.get(writer.url) as Buffer).records.map((record) => record.id)).toEqual([
        ...ids.slice(0, 6),
        'edit-16',
      ]);
    }, 300_000);

    it('rides out a database restart under load: 503s meanwhile, nothing acknowledged lost, resumes by itself', async () => {
      const acknowledged: string[] = [];
      const seen = new Map<string, number>();
      const predictions = new Map<string, number>();
      let streaming = true;
      const edits = (async () => {
        for (let index = 100; streaming; index++) {
          const deadline = performance.now() + 30_000;
          const outcome = await editThroughFailover(set, editBody(index), `restart-${index}`, deadline, seen);
          if (outcome.acknowledged) acknowledged.push(...outcome.ids);
        }
      })();
      const reads = (async () => {
        for (let index = 0; streaming; index++) {
          const replica = set.alive()[index % set.alive().length] as ServerProcess;
          // One retry on a broken connection: a keep-alive socket the server closed as the client reused it.
          const predict = () => post(replica.url, '/v1/predict', { inputs: [[index % 7, 0]] });
          const response = await predict()
            .catch(predict)
            .catch((error: Error) => {
              console.warn(`prediction failed: ${error.message} ${String((error.cause as Error)?.message)}`);
              return undefined;
            });
          const status = String(response?.status ?? 'error');
          predictions.set(status, (predictions.get(status) ?? 0) + 1);
          await response?.body?.cancel();
        }
      })();
      while (acknowledged.length < 3) await sleep(20);
      await cluster.restart(1000);
      const afterRestart = acknowledged.length;
      const resumeDeadline = performance.now() + 60_000;
      while (acknowledged.length < afterRestart + 3 && performance.now() < resumeDeadline) await sleep(50);
      streaming = false;
      await Promise.all([edits, reads]);
      expect(acknowledged.length).toBeGreaterThanOrEqual(afterRestart + 3);
      expect(seen.get('503') ?? 0).toBeGreaterThan(0);
      // Predictions are answered from memory throughout.
      expect([...predictions.keys()]).toEqual(['200']);
      const files = await set.converged();
      expectIdentical(files);
      const ids = decodeCodebook([...files.values()][0] as Buffer).records.map((record) => record.id);
      for (const id of acknowledged) expect(ids).toContain(id);
      const inputs = await editHistoryInputs(set.alive()[0] as ServerProcess);
      expect(new Set(inputs).size).toBe(inputs.length);
    }, 180_000);

    it('loses no acknowledged edit and applies none twice when the writer is killed mid-stream', async () => {
      const acknowledged: string[] = [];
      let streaming = true;
      const stream = (async () => {
        for (let index = 1000; streaming; index++) {
          const deadline = performance.now() + 30_000;
          const outcome = await editThroughFailover(set, editBody(index), `kill-${index}`, deadline);
          if (outcome.acknowledged) acknowledged.push(...outcome.ids);
        }
      })();
      // Two kills: four processes become two, which are then compared.
      for (let kill = 0; kill < 2; kill++) {
        const before = acknowledged.length;
        while (acknowledged.length < before + 3) await sleep(20);
        await set.kill(await set.writer());
      }
      const before = acknowledged.length;
      while (acknowledged.length < before + 3) await sleep(20);
      streaming = false;
      await stream;
      const files = await set.converged();
      expect(files.size).toBe(2);
      expectIdentical(files);
      const ids = decodeCodebook([...files.values()][0] as Buffer).records.map((record) => record.id);
      expect(new Set(acknowledged).size).toBe(acknowledged.length);
      for (const id of acknowledged) expect(ids).toContain(id);
      // Never applied twice: every input of the stream appears at most once in the whole history.
      const inputs = await editHistoryInputs(set.alive()[0] as ServerProcess);
      expect(new Set(inputs).size).toBe(inputs.length);
    }, 180_000);
  },
);
