import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EditLogEntry, EditLogStore } from './edit-log-store.js';
import { SqliteEditLogStore } from './sqlite-edit-log-store.js';
import { type RunningServer, sharedSyntheticModel, startTestServer } from './test-support/server-fixture.js';

const edit = (x: number) => ({ edits: [{ input: [x, 0.9], label: 1 }] });

/** A store whose appends wait at a gate the test opens, reporting the wait as the real store does. */
function stallingStore(inner: EditLogStore): EditLogStore & { release: () => void; stall: () => void } {
  let gate: Promise<void> | undefined;
  let open: () => void = () => undefined;
  let waitingSince: number | undefined;
  return Object.assign(Object.create(inner) as EditLogStore, {
    stall() {
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    release() {
      gate = undefined;
      open();
    },
    async append(entries: readonly EditLogEntry[]) {
      waitingSince = performance.now();
      await gate;
      waitingSince = undefined;
      return inner.append(entries);
    },
    health() {
      const health = inner.health();
      return {
        ...health,
        writeWaitingMilliseconds: waitingSince === undefined ? 0 : performance.now() - waitingSince,
      };
    },
  });
}

describe('the server under storage faults', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.stop(true);
  });

  it('refuses edits with 503 once its log file is deleted, stays live, and says it is not ready', async () => {
    server = await startTestServer({ ...(await sharedSyntheticModel()), trainingIterations: 5 });
    expect((await server.request('POST', '/v1/edits', edit(-3.3))).status).toBe(200);
    unlinkSync(join(server.directory, 'edit-log.sqlite'));
    const refused = await server.request('POST', '/v1/edits', edit(3));
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await refused.json()) as { error: string; message: string };
    expect(body.error).toBe('STORE_UNAVAILABLE');
    expect(body.message).not.toMatch(/sqlite|\.sqlite|\//i);
    const ready = await server.request('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false });
    expect((await server.request('GET', '/healthz')).status).toBe(200);
    expect((await server.request('POST', '/v1/predict', { inputs: [[-3.3, 0.9]] })).status).toBe(200);
    expect((await server.request('POST', '/v1/snapshots')).status).toBe(503);
    // Nothing was acknowledged after the deletion: the committed codebook holds only the first edit.
    expect(server.service.codebook.records.map((record) => record.id)).toEqual(['edit-1']);
  });

  it('keeps answering predictions and health while a write waits on the disk, and turns unready', async () => {
    const model = await sharedSyntheticModel();
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const directory = mkdtempSync(join(tmpdir(), 'grace-stall-'));
    const store = stallingStore(new SqliteEditLogStore(join(directory, 'edit-log.sqlite')));
    server = await startTestServer({
      ...model,
      directory,
      store,
      trainingIterations: 5,
      serviceOptions: { stalledWriteMilliseconds: 200 },
    });
    store.stall();
    const stuck = server.request('POST', '/v1/edits', edit(-3.3));
    try {
      await expect
        .poll(async () => (await (server as RunningServer).request('GET', '/readyz')).status, {
          timeout: 20_000,
        })
        .toBe(503);
      for (let round = 0; round < 3; round++) {
        expect((await server.request('GET', '/healthz')).status).toBe(200);
        const predicted = await server.request('POST', '/v1/predict', { inputs: [[-3.3, 0.9]] });
        expect(predicted.status).toBe(200);
      }
      const refused = await server.request('POST', '/v1/edits', edit(3));
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: string }).error).toBe('STORE_UNAVAILABLE');
    } finally {
      store.release();
    }
    expect((await stuck).status).toBe(200);
    expect((await server.request('GET', '/readyz')).status).toBe(200);
  });
});
