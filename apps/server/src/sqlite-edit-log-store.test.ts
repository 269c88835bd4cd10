import { existsSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type EditLogEntry, StoreUnavailableError } from './edit-log-store.js';
import { SqliteEditLogStore } from './sqlite-edit-log-store.js';
import { editEntry, identity } from './test-support/log-entries.js';

describe('SqliteEditLogStore', () => {
  const directories: string[] = [];
  const open = (): SqliteEditLogStore => {
    const directory = mkdtempSync(join(tmpdir(), 'grace-log-'));
    directories.push(directory);
    return new SqliteEditLogStore(join(directory, 'nested', 'log.sqlite'));
  };
  afterEach(() => {
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  });

  it('runs in WAL mode with synchronous FULL and exclusive locking (no memory-mapped -shm file)', async () => {
    const store = open();
    expect(await store.pragmas()).toEqual({ journalMode: 'wal', synchronous: 2, lockingMode: 'exclusive' });
    await store.open(identity);
    await store.append([editEntry(1)]);
    expect(existsSync(`${store.path}-shm`)).toBe(false);
    await store.close();
  });

  it('notices a deleted or replaced log file and refuses every later write', async () => {
    for (const fault of ['delete', 'replace'] as const) {
      const store = open();
      await store.open(identity);
      await store.append([editEntry(1)]);
      expect(store.health()).toMatchObject({ healthy: true, reason: null });
      if (fault === 'delete') unlinkSync(store.path);
      else renameSync(store.path, `${store.path}.moved`);
      if (fault === 'replace') writeFileSync(store.path, '');
      await expect(store.append([editEntry(2)])).rejects.toThrow(StoreUnavailableError);
      expect(store.health().healthy).toBe(false);
      expect(store.health().reason).toMatch(fault === 'delete' ? /deleted/ : /replaced/);
      await expect(store.saveCheckpoint({ position: 1, codebook: Uint8Array.of(1) })).rejects.toThrow(
        StoreUnavailableError,
      );
      await store.close();
    }
  });

  it('notices a deleted log file between writes, by its periodic identity check', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'grace-log-'));
    directories.push(directory);
    const store = new SqliteEditLogStore(join(directory, 'log.sqlite'), { identityCheckMilliseconds: 20 });
    await store.open(identity);
    unlinkSync(store.path);
    await expect.poll(() => store.health().healthy, { timeout: 10_000 }).toBe(false);
    await store.close();
  });

  it('keeps the two newest checkpoints and truncates the log with its checkpoints', async () => {
    const store = open();
    await store.open(identity);
    await store.append([editEntry(1), editEntry(2), editEntry(3)]);
    for (const position of [1, 2, 3]) {
      await store.saveCheckpoint({ position, codebook: Uint8Array.of(position) });
    }
    expect(await store.checkpoints()).toEqual([
      { position: 3, codebook: Uint8Array.of(3) },
      { position: 2, codebook: Uint8Array.of(2) },
    ]);
    await store.truncateAfter(2);
    expect((await store.read()).map((entry) => entry.position)).toEqual([1, 2]);
    expect((await store.checkpoints()).map((checkpoint) => checkpoint.position)).toEqual([2]);
    await store.close();
  });

  it('reads back every entry in order with bit-exact vectors, also after reopening', async () => {
    const store = open();
    await store.open(identity);
    const entries: EditLogEntry[] = [
      editEntry(1),
      editEntry(2),
      { kind: 'rollback', position: 3, time: '2026-01-01T00:00:03.000Z', editId: 'edit-1' },
      { kind: 'restore', position: 4, time: '2026-01-01T00:00:04.000Z', snapshotId: 'snapshot-2' },
    ];
    await store.append(entries.slice(0, 2));
    await store.append(entries.slice(2));
    await store.close();
    const reopened = new SqliteEditLogStore(store.path);
    await reopened.open(identity);
    const read = await reopened.read();
    expect(read).toEqual(entries);
    const first = read[0] as Extract<EditLogEntry, { kind: 'edit' }>;
    expect(Object.is(first.edit.value[2], -0)).toBe(true);
    expect(await reopened.lastPosition()).toBe(4);
    expect(await reopened.read(2)).toEqual(entries.slice(2));
    await reopened.close();
  });

  it('appends a batch all or nothing', async () => {
    const store = open();
    await store.open(identity);
    await store.append([editEntry(1)]);
    // The second entry reuses position 1: the whole batch must be refused.
    await expect(store.append([editEntry(2), editEntry(1)])).rejects.toThrow();
    expect((await store.read()).map((entry) => entry.position)).toEqual([1]);
    await store.close();
  });

  it('refuses a log written for another model or layer', async () => {
    const store = open();
    await store.open(identity);
    await expect(store.open({ ...identity, layerId: 'layer2' })).rejects.toThrow(/written for/);
    await store.close();
  });

  it('keeps snapshots by id', async () => {
    const store = open();
    const codebook = Uint8Array.of(1, 2, 3, 250);
    await store.saveSnapshot({
      id: 'snapshot-1',
      time: '2026-01-01T00:00:00.000Z',
      logPosition: 7,
      codebook,
    });
    expect(await store.loadSnapshot('snapshot-1')).toEqual({
      id: 'snapshot-1',
      time: '2026-01-01T00:00:00.000Z',
      logPosition: 7,
      codebook,
    });
    expect(await store.loadSnapshot('missing')).toBeUndefined();
    expect(await store.listSnapshots()).toEqual([
      { id: 'snapshot-1', time: '2026-01-01T00:00:00.000Z', logPosition: 7 },
    ]);
    await store.close();
  });
});
