import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCodebook } from '@grace/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EditLogEntry } from './edit-log-store.js';
import { GraceService } from './grace-service.js';
import { seedEditLog } from './seed-edit-log.js';
import { SqliteEditLogStore } from './sqlite-edit-log-store.js';
import { sharedSyntheticModel } from './test-support/server-fixture.js';

describe('GraceService', () => {
  let model: Awaited<ReturnType<typeof sharedSyntheticModel>>;
  let directory: string;
  beforeAll(async () => {
    model = await sharedSyntheticModel();
    directory = mkdtempSync(join(tmpdir(), 'grace-service-'));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  const open = (
    name: string,
    trainingIterations = 20,
    store = new SqliteEditLogStore(join(directory, name)),
  ) => GraceService.open({ ...model, store, trainingIterations });
  const example = (x: number, y: number, label: number) => ({ input: [x, y], json: [x, y], label });

  it('replays edits, rollbacks and restores into a byte-identical codebook without training', async () => {
    const service = await open('replay.sqlite');
    await service.edit([example(-3.3, 0.9, 1), example(-3.7, 0.9, 1)]);
    await service.edit([example(-3.5, 0.9, 0)]); // a SPLIT
    const snapshot = await service.snapshot();
    await service.edit([example(-1, -2, 1)]);
    await service.rollback('edit-2');
    await service.restore(snapshot.id);
    await service.edit([example(3, 3, 0)]);
    await service.rollback('edit-1');
    const operations = service.codebook.records.map((record) => record.operation);
    const bytes = encodeCodebook(service.codebook);
    await service.close();

    const started = performance.now();
    const reopened = await open('replay.sqlite', 1);
    const replayMilliseconds = performance.now() - started;
    expect(reopened.codebook.records.map((record) => record.operation)).toEqual(operations);
    expect(Buffer.from(encodeCodebook(reopened.codebook)).equals(Buffer.from(bytes))).toBe(true);
    // Ids come from log positions, so they are never reused, also after a restore.
    const ids = reopened.codebook.records.map((record) => record.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(replayMilliseconds).toBeLessThan(2000);
    await reopened.close();
  });

  it('answers predictions from the committed codebook while an edit trains, and queues edits in order', async () => {
    const service = await open('concurrency.sqlite', 400);
    const point = [-3.3, 0.9];
    const first = service.edit([example(-3.3, 0.9, 1)]);
    const second = service.edit([example(3, 3, 0)]);
    let editsDone = 0;
    void first.then(() => editsDone++);
    // Several predictions while the first edit trains: answered at once, from the codebook without it.
    for (let round = 0; round < 5; round++) {
      const [prediction] = await service.predict([point]);
      expect(prediction).toEqual({ label: 0, fired: false, keyIndex: null, editId: null });
      expect(editsDone).toBe(0);
      expect(service.queueDepth).toBe(2);
    }
    const [[firstEdit], [secondEdit]] = await Promise.all([first, second]);
    expect([firstEdit?.id, secondEdit?.id]).toEqual(['edit-1', 'edit-2']);
    const [after] = await service.predict([point]);
    expect(after).toEqual({ label: 1, fired: true, keyIndex: 0, editId: 'edit-1' });
    await service.close();
  });

  it('acknowledges nothing and changes nothing when the log cannot be written', async () => {
    const store = new SqliteEditLogStore(join(directory, 'failing.sqlite'));
    let failNext = false;
    const append = store.append.bind(store);
    store.append = async (entries: readonly EditLogEntry[]) => {
      if (failNext) throw new Error('disk full');
      return append(entries);
    };
    const service = await open('failing.sqlite', 10, store);
    await service.edit([example(-3.3, 0.9, 1)]);
    const before = encodeCodebook(service.codebook);
    failNext = true;
    await expect(service.edit([example(3, 3, 0), example(-1, -1, 1)])).rejects.toThrow(/disk full/);
    expect(Buffer.from(encodeCodebook(service.codebook)).equals(Buffer.from(before))).toBe(true);
    failNext = false;
    // The working copy was rebuilt: the next edit gets the same sequence and id as if the failure never was.
    const [next] = await service.edit([example(3, 3, 0)]);
    expect(next?.id).toBe('edit-2');
    expect(service.codebook.records.map((record) => record.sequence)).toEqual([1, 2]);
    await service.close();
    const reopened = await open('failing.sqlite');
    expect(
      Buffer.from(encodeCodebook(reopened.codebook)).equals(Buffer.from(encodeCodebook(service.codebook))),
    ).toBe(true);
    await reopened.close();
  });

  it('replays a log of span values (spanLength × Dv wide) into the codebook they came from', async () => {
    const { servedModel } = model;
    const spanModel = {
      ...servedModel,
      editorOptions: { ...servedModel.editorOptions, replacement: 'span' as const, spanLength: 3 },
    };
    const spanDirectory = join(directory, 'span');
    mkdirSync(spanDirectory);
    // Far-apart queries: every logged edit is an ADD with its own value.
    await seedEditLog(spanDirectory, spanModel, 4, (index, width) =>
      Float32Array.from({ length: width }, (_, column) => index * 50 + column),
    );
    const store = new SqliteEditLogStore(join(spanDirectory, `${spanModel.name}.edit-log.sqlite`));
    const service = await GraceService.open({ ...model, servedModel: spanModel, store });
    const width = 3 * servedModel.model.valueDimension;
    expect(service.codebook.valueDimension).toBe(width);
    expect(service.codebook.size).toBe(4);
    const expected = Float32Array.from(
      { length: 4 * width },
      (_, index) => ((Math.floor(index / width) + (index % width)) % 7) / 7,
    );
    expect(Array.from(service.codebook.valuesView())).toEqual(Array.from(expected));
    await service.close();
  });
});
