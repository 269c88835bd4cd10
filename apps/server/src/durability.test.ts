import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeCodebook } from '@grace/core';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraceService } from './grace-service.js';
import { DamagedLogError } from './replay-edit-log.js';
import { SqliteEditLogStore } from './sqlite-edit-log-store.js';
import { type RunningServer, sharedSyntheticModel, startTestServer } from './test-support/server-fixture.js';

const serverCli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'server-cli.js');
const example = (x: number, y: number, label: number) => ({ input: [x, y], json: [x, y], label });

/** Runs the built server until it prints `listening on` (then stops it) or exits; returns code and output. */
function runCli(args: string[]): Promise<{ code: number | null; output: string; listening: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [serverCli, '--model', 'synthetic', '--port', '0', ...args], {
      env: { ...process.env, GRACE_TOKEN: 'durability-test-token-0123456789' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let listening = false;
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!listening && /listening on /.test(output)) {
        listening = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => resolve({ code, output, listening }));
  });
}

describe('the edit log across restarts', () => {
  let model: Awaited<ReturnType<typeof sharedSyntheticModel>>;
  const directory = mkdtempSync(join(tmpdir(), 'grace-durability-'));
  beforeAll(async () => {
    model = await sharedSyntheticModel();
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  const open = (path: string, warn?: (message: string) => void) =>
    GraceService.open({
      ...model,
      store: new SqliteEditLogStore(join(directory, path)),
      trainingIterations: 5,
      ...(warn === undefined ? {} : { warn }),
    });

  it('checkpoints after a rollback, so a restart replays only the tail; a damaged checkpoint is skipped', async () => {
    const service = await open('checkpoints.sqlite');
    await service.edit([example(-3.3, 0.9, 1), example(3, 3, 0), example(-1, -2, 1)]);
    await service.rollback('edit-2');
    await service.edit([example(2, -2, 1)]);
    const bytes = encodeCodebook(service.codebook);
    await service.close();

    const warnings: string[] = [];
    const reopened = await open('checkpoints.sqlite', (message) => warnings.push(message));
    expect(reopened.startup).toEqual({ checkpointPosition: 4, replayedEntries: 1 });
    expect(Buffer.from(encodeCodebook(reopened.codebook)).equals(Buffer.from(bytes))).toBe(true);
    await reopened.close();
    expect(warnings).toEqual([]);

    const database = new Database(join(directory, 'checkpoints.sqlite'));
    database.prepare('UPDATE checkpoints SET codebook = zeroblob(64)').run();
    database.close();
    const recovered = await open('checkpoints.sqlite', (message) => warnings.push(message));
    expect(recovered.startup.checkpointPosition).toBeNull();
    expect(Buffer.from(encodeCodebook(recovered.codebook)).equals(Buffer.from(bytes))).toBe(true);
    expect(warnings.join('\n')).toMatch(/checkpoint at log position 4 is damaged and skipped/);
    await recovered.close();
  });

  it('stops start-up with a clear message when the log restores a damaged snapshot; the recovery flag starts it', async () => {
    const data = join(directory, 'damaged');
    const service = await GraceService.open({
      ...model,
      store: new SqliteEditLogStore(join(data, 'synthetic.edit-log.sqlite')),
      trainingIterations: 5,
    });
    await service.edit([example(-3.3, 0.9, 1)]);
    const snapshot = await service.snapshot();
    await service.edit([example(3, 3, 0)]);
    await service.restore(snapshot.id);
    await service.close();
    const database = new Database(join(data, 'synthetic.edit-log.sqlite'));
    database.prepare('UPDATE snapshots SET codebook = zeroblob(100)').run();
    database.prepare('DELETE FROM checkpoints').run();
    database.close();

    const store = new SqliteEditLogStore(join(data, 'synthetic.edit-log.sqlite'));
    await expect(GraceService.open({ ...model, store })).rejects.toThrow(DamagedLogError);
    await store.close();
    const refused = await runCli(['--data-dir', data]);
    expect(refused.code).toBe(1);
    expect(refused.listening).toBe(false);
    expect(refused.output).toMatch(
      /grace-server: the edit log restores snapshot snapshot-1-[0-9a-f-]+ at position 3, and that snapshot is damaged/,
    );
    expect(refused.output).toMatch(/--discard-log-after 2/);
    expect(refused.output).not.toMatch(/^\s+at /m);

    const recovered = await runCli(['--data-dir', data, '--discard-log-after', '2']);
    expect(recovered.listening).toBe(true);
    expect(recovered.output).toMatch(/dropped 1 log entries after position 2/);
    expect(readdirSync(data).some((name) => name.includes('.before-discard-'))).toBe(true);
  });
});

describe('snapshot ids and idempotent edits over HTTP', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ ...(await sharedSyntheticModel()), trainingIterations: 5 });
  });
  afterAll(async () => {
    await server.stop(true);
  });

  it('gives 16 concurrent snapshots 16 distinct ids', async () => {
    const responses = await Promise.all(
      Array.from({ length: 16 }, () => server.request('POST', '/v1/snapshots')),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(16).fill(201));
    const ids = await Promise.all(
      responses.map(async (response) => ((await response.json()) as { id: string }).id),
    );
    expect(new Set(ids).size).toBe(16);
  });

  it('applies an edit once per Idempotency-Key, also across a restart, and refuses a reused key', async () => {
    const post = (key: string, label: number) =>
      fetch(`${server.url}/v1/edits`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer test-token-0123456789abcdef`,
          'idempotency-key': key,
        },
        body: JSON.stringify({ edits: [{ input: [-3.3, 0.9], label }] }),
      });
    const [first, retry] = await Promise.all([post('retry-1', 1), post('retry-1', 1)]);
    const firstBody = (await first.json()) as { edits: { id: string }[] };
    const retryBody = (await retry.json()) as { edits: { id: string }[] };
    expect(retryBody.edits.map((edit) => edit.id)).toEqual(firstBody.edits.map((edit) => edit.id));
    expect([first.headers.get('idempotent-replayed'), retry.headers.get('idempotent-replayed')]).toContain(
      'true',
    );
    expect(server.service.codebook.records).toHaveLength(1);

    const directory = server.directory;
    await server.stop();
    server = await startTestServer({ ...(await sharedSyntheticModel()), directory, trainingIterations: 5 });
    const afterRestart = await post('retry-1', 1);
    expect(afterRestart.headers.get('idempotent-replayed')).toBe('true');
    expect(((await afterRestart.json()) as { edits: { id: string }[] }).edits[0]?.id).toBe(
      firstBody.edits[0]?.id,
    );
    expect(server.service.codebook.records).toHaveLength(1);
    const reused = await post('retry-1', 0);
    expect(reused.status).toBe(422);
    expect(await reused.json()).toMatchObject({
      error: 'IDEMPOTENCY_KEY_REUSED',
      field: '/headers/idempotency-key',
    });
  });
});
