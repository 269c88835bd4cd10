import { decodeCodebook } from '@grace/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchmarkToken, type ServerProcess } from './benchmark-support.js';
import { type PostgresCluster, postgresUnavailableReason, startPostgresCluster } from './postgres-cluster.js';
import { editHistoryInputs, editThroughFailover, logPosition, ReplicaSet, sleep } from './replica-set.js';

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
    let cluster: PostgresCluster;
    const sets: ReplicaSet[] = [];
    const replicaSet = async (name: string, count: number): Promise<ReplicaSet> => {
      const set = new ReplicaSet(await cluster.createDatabase(name), ['--log-level', 'warn']);
      sets.push(set);
      await set.start(count);
      return set;
    };

    beforeAll(async () => {
      cluster = await startPostgresCluster();
    });
    afterAll(async () => {
      await Promise.all(sets.map((set) => set.stop()));
      cluster?.destroy();
    });

    it("converges: every replica holds the writer's codebook, byte for byte, after edits, rollbacks and a restore", async () => {
      const set = await replicaSet('convergence', 3);
      const writer = await set.writer();
      const replicas = set.alive().filter((replica) => replica !== writer);
      // A replica refuses edits and names the writer.
      const refused = await post(replicas[0]?.url as string, '/v1/edits', editBody(0));
      expect(refused.status).toBe(503);
      expect(refused.headers.get('grace-writer')).toBe(writer.url);
      expect(((await refused.json()) as { error: string }).error).toBe('NOT_WRITER');

      const ids: string[] = [];
      for (let index = 0; index < 12; index++) {
        const response = await post(writer.url, '/v1/edits', editBody(index));
        expect(response.status).toBe(200);
        const answer = (await response.json()) as { edits: { id: string }[]; logPosition: number };
        ids.push(...answer.edits.map((edit) => edit.id));
        // Read-your-writes on a replica: asked for at least the edit's position, it answers from it or later.
        const read = await post(replicas[index % 2]?.url as string, '/v1/predict', {
          inputs: [[index * 1.5, 0]],
          minimumLogPosition: answer.logPosition,
        });
        expect(read.status).toBe(200);
        expect(((await read.json()) as { logPosition: number }).logPosition).toBeGreaterThanOrEqual(
          answer.logPosition,
        );
      }
      const snapshot = (await (await post(writer.url, '/v1/snapshots')).json()) as { id: string };
      for (const id of [ids[3], ids[7]]) {
        const response = await fetch(`${writer.url}/v1/edits/${id}`, {
          method: 'DELETE',
          headers: authorization,
        });
        expect(response.status).toBe(200);
      }
      expectIdentical(await set.converged());
      expect((await post(writer.url, `/v1/snapshots/${snapshot.id}/restore`)).status).toBe(200);
      await post(writer.url, '/v1/edits', editBody(12));
      const files = await set.converged();
      expect(files.size).toBe(3);
      expectIdentical(files);
      expect(decodeCodebook(files.get(writer.url) as Buffer).records.map((record) => record.id)).toEqual([
        ...ids,
        'edit-16',
      ]);
    });

    it('lets a replica started late catch up from position 0 and from a checkpoint', async () => {
      const set = await replicaSet('late', 1);
      const writer = await set.writer();
      for (let index = 0; index < 6; index++)
        expect((await post(writer.url, '/v1/edits', editBody(index))).status).toBe(200);
      const [fromStart] = await set.start(1);
      expect(fromStart?.output()).toMatch(/replayed +6 log entries after the start/);
      expectIdentical(await set.converged());
      // A rollback makes the writer checkpoint; a replica started after it replays only the tail.
      expect(
        (await fetch(`${writer.url}/v1/edits/edit-2`, { method: 'DELETE', headers: authorization })).status,
      ).toBe(200);
      for (let index = 6; index < 9; index++)
        expect((await post(writer.url, '/v1/edits', editBody(index))).status).toBe(200);
      await sleep(300); // the checkpoint is written behind the rollback
      const [fromCheckpoint] = await set.start(1);
      expect(fromCheckpoint?.output()).toMatch(/replayed +3 log entries after the checkpoint at position 7/);
      const files = await set.converged();
      expect(files.size).toBe(3);
      expectIdentical(files);
    });

    it('loses no acknowledged edit and applies none twice when the writer is killed mid-stream', async () => {
      const set = await replicaSet('failover', 3);
      await set.writer();
      const acknowledged: string[] = [];
      let index = 0;
      let streaming = true;
      const stream = (async () => {
        while (streaming) {
          const key = `stream-${index}`;
          const outcome = await editThroughFailover(set, editBody(index), key, performance.now() + 30_000);
          if (outcome.acknowledged) acknowledged.push(...outcome.ids);
          index++;
        }
      })();
      for (let kill = 0; kill < 3; kill++) {
        const before = acknowledged.length;
        while (acknowledged.length < before + 4) await sleep(20);
        const writer = await set.writer();
        await set.kill(writer);
        await set.start(1); // keep three processes, as a supervisor would
      }
      const before = acknowledged.length;
      while (acknowledged.length < before + 3) await sleep(20);
      streaming = false;
      await stream;
      const files = await set.converged();
      expectIdentical(files);
      const codebook = decodeCodebook([...files.values()][0] as Buffer);
      const ids = codebook.records.map((record) => record.id);
      expect(new Set(acknowledged).size).toBe(acknowledged.length);
      for (const id of acknowledged) expect(ids).toContain(id);
      // Never applied twice: every input of the stream appears at most once in the whole history.
      const inputs = await editHistoryInputs(set.alive()[0] as ServerProcess);
      expect(new Set(inputs).size).toBe(inputs.length);
    }, 240_000);

    it('rides out a database restart under load: 503s meanwhile, nothing acknowledged lost, resumes by itself', async () => {
      const set = await replicaSet('restart', 2);
      await set.writer();
      const acknowledged: string[] = [];
      const seen = new Map<string, number>();
      const predictions = new Map<string, number>();
      let streaming = true;
      const edits = (async () => {
        for (let index = 0; streaming; index++) {
          const outcome = await editThroughFailover(
            set,
            editBody(index),
            `restart-${index}`,
            performance.now() + 30_000,
            seen,
          );
          if (outcome.acknowledged) acknowledged.push(...outcome.ids);
        }
      })();
      const reads = (async () => {
        for (let index = 0; streaming; index++) {
          const replica = set.alive()[index % 2];
          const response = await post(replica?.url as string, '/v1/predict', {
            inputs: [[index % 7, 0]],
          }).catch(() => undefined);
          const status = String(response?.status ?? 'error');
          predictions.set(status, (predictions.get(status) ?? 0) + 1);
          await response?.body?.cancel();
        }
      })();
      while (acknowledged.length < 5) await sleep(20);
      await cluster.restart(1000);
      const afterRestart = acknowledged.length;
      const resumeDeadline = performance.now() + 30_000;
      while (acknowledged.length < afterRestart + 5 && performance.now() < resumeDeadline) await sleep(50);
      streaming = false;
      await Promise.all([edits, reads]);
      expect(acknowledged.length).toBeGreaterThanOrEqual(afterRestart + 5);
      expect(seen.get('503') ?? 0).toBeGreaterThan(0);
      // Predictions are answered from memory throughout.
      expect([...predictions.keys()]).toEqual(['200']);
      const files = await set.converged();
      expectIdentical(files);
      const ids = decodeCodebook([...files.values()][0] as Buffer).records.map((record) => record.id);
      for (const id of acknowledged) expect(ids).toContain(id);
      // No rollbacks in this stream: one log entry per edit, none lost, none doubled.
      expect(await logPosition(set.alive()[0] as ServerProcess)).toBe(ids.length);
    }, 240_000);
  },
);
