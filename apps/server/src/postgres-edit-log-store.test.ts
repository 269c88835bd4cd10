import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EditLogEntry, StoreUnavailableError } from './edit-log-store.js';
import { type PostgresCluster, postgresUnavailableReason, startPostgresCluster } from './postgres-cluster.js';
import { PostgresEditLogStore } from './postgres-edit-log-store.js';
import { editEntry, identity } from './test-support/log-entries.js';

const unavailable = postgresUnavailableReason();
/** {@link editEntry} with the idempotency key a client sent. */
const keyedEntry = (position: number): EditLogEntry => {
  const entry = editEntry(position);
  return entry.kind === 'edit'
    ? { ...entry, edit: { ...entry.edit, idempotencyKey: `key-${position}` } }
    : entry;
};

describe.skipIf(unavailable !== null)(
  `PostgresEditLogStore${unavailable === null ? '' : ` (skipped: ${unavailable})`}`,
  () => {
    let cluster: PostgresCluster;
    let url: string;
    const clients: pg.Client[] = [];
    /** A store whose appends go through a connection of its own, as the writer lease would give it. */
    const writableStore = async (): Promise<PostgresEditLogStore> => {
      const store = new PostgresEditLogStore(url);
      await store.open(identity);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      clients.push(client);
      store.setWriterConnection(client);
      return store;
    };

    beforeAll(async () => {
      cluster = await startPostgresCluster();
      url = await cluster.createDatabase('store');
    });
    afterAll(async () => {
      await Promise.all(clients.map((client) => client.end()));
      cluster?.destroy();
    });

    it('keeps entries exactly, gap-free, and refuses an append at a position already taken', async () => {
      const store = await writableStore();
      const rollback: EditLogEntry = {
        kind: 'rollback',
        position: 3,
        time: '2026-01-01T00:01:00.000Z',
        editId: 'edit-1',
      };
      await store.append([keyedEntry(1), keyedEntry(2)]);
      await store.append([rollback]);
      expect(await store.lastPosition()).toBe(3);
      expect(await store.read()).toEqual([keyedEntry(1), keyedEntry(2), rollback]);
      expect((await store.read(2)).map((entry) => entry.position)).toEqual([3]);
      const summaries = await store.readSummaries();
      expect(summaries[0]).toMatchObject({
        kind: 'edit',
        edit: { editId: 'edit-1', idempotencyKey: 'key-1' },
      });
      expect(summaries[0]?.kind === 'edit' && 'query' in summaries[0].edit).toBe(false);
      // A second writer that still believes the log ends at 2 (or one skipping ahead) is refused, and the
      // refusal ends its writer connection: it must re-read the log before writing again.
      const stale = await writableStore();
      await expect(stale.append([keyedEntry(3)])).rejects.toThrow(StoreUnavailableError);
      await expect(stale.append([keyedEntry(4)])).rejects.toThrow(/writer lease/);
      const skipping = await writableStore();
      await expect(skipping.append([keyedEntry(5)])).rejects.toThrow(/log is at 3/);
      expect(await store.lastPosition()).toBe(3);
      await Promise.all([store.close(), stale.close(), skipping.close()]);
    });

    it('appends only through the writer connection and refuses a log written for another model', async () => {
      const store = new PostgresEditLogStore(url);
      await store.open(identity);
      await expect(store.append([keyedEntry(4)])).rejects.toThrow(/writer lease/);
      await expect(store.open({ ...identity, keyDimension: 5 })).rejects.toThrow(/was written for/);
      await store.close();
    });

    it('keeps snapshots and the two newest checkpoints, and truncates with its checkpoints', async () => {
      const store = await writableStore();
      await store.saveSnapshot({
        id: 'snapshot-3-a',
        time: 't',
        logPosition: 3,
        codebook: Uint8Array.of(1, 2),
      });
      expect(await store.loadSnapshot('snapshot-3-a')).toEqual({
        id: 'snapshot-3-a',
        time: 't',
        logPosition: 3,
        codebook: Uint8Array.of(1, 2),
      });
      expect(await store.loadSnapshot('missing')).toBeUndefined();
      expect(await store.listSnapshots()).toEqual([{ id: 'snapshot-3-a', time: 't', logPosition: 3 }]);
      for (const position of [1, 2, 3])
        await store.saveCheckpoint({ position, codebook: Uint8Array.of(position) });
      // Saved twice (two replicas at the same position): the same bytes, kept once.
      await store.saveCheckpoint({ position: 3, codebook: Uint8Array.of(3) });
      expect((await store.checkpoints()).map((checkpoint) => checkpoint.position)).toEqual([3, 2]);
      await store.truncateAfter(2);
      expect(await store.lastPosition()).toBe(2);
      expect((await store.checkpoints()).map((checkpoint) => checkpoint.position)).toEqual([2]);
      await store.append([keyedEntry(3)]);
      expect(await store.lastPosition()).toBe(3);
      await store.close();
    });
  },
);
