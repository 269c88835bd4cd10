import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, sharedSyntheticModel, startTestServer } from './test-support/server-fixture.js';

/** An input the pre-trained synthetic model gets wrong on purpose in the paper's stream: class 0 territory. */
const leftPoint = [-3.3, 0.9];

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

describe('the HTTP API', () => {
  let model: Awaited<ReturnType<typeof sharedSyntheticModel>>;
  let server: RunningServer;

  beforeAll(async () => {
    model = await sharedSyntheticModel();
    server = await startTestServer({ ...model, trainingIterations: 30 });
  });
  afterAll(async () => {
    await server.stop(true);
  });

  it('predicts a batch, edits, sees the key fire, rolls back', async () => {
    const before = await json(await server.request('POST', '/v1/predict', { inputs: [leftPoint, [2, 0]] }));
    expect(before.predictions).toEqual([
      { label: 0, fired: false, keyIndex: null, editId: null },
      { label: 1, fired: false, keyIndex: null, editId: null },
    ]);
    const edited = await server.request('POST', '/v1/edits', { edits: [{ input: leftPoint, label: 1 }] });
    expect(edited.status).toBe(200);
    const { edits } = (await edited.json()) as { edits: { id: string; operation: string; loss: number[] }[] };
    expect(edits).toHaveLength(1);
    expect(edits[0]).toMatchObject({ operation: 'ADD', keyIndex: 0, fixed: true });
    expect(edits[0]?.loss).toHaveLength(30);
    const id = edits[0]?.id as string;
    const after = await json(await server.request('POST', '/v1/predict', { inputs: [leftPoint, [2, 0]] }));
    expect(after.predictions).toEqual([
      { label: 1, fired: true, keyIndex: 0, editId: id },
      { label: 1, fired: false, keyIndex: null, editId: null },
    ]);
    const history = await json(await server.request('GET', '/v1/edits?limit=10'));
    expect(history).toMatchObject({ total: 1, offset: 0, limit: 10 });
    expect(history.edits).toEqual([
      expect.objectContaining({ id, input: leftPoint, label: 1, operation: 'ADD' }),
    ]);

    const rolledBack = await server.request('DELETE', `/v1/edits/${id}`);
    expect(rolledBack.status).toBe(200);
    const reverted = await json(await server.request('POST', '/v1/predict', { inputs: [leftPoint] }));
    expect(reverted.predictions).toEqual([{ label: 0, fired: false, keyIndex: null, editId: null }]);
    expect((await server.request('DELETE', `/v1/edits/${id}`)).status).toBe(404);
  });

  it('answers at a minimum log position (read-your-writes), or 503 LOG_BEHIND when it cannot reach it', async () => {
    const reached = await json(
      await server.request('POST', '/v1/predict', {
        inputs: [leftPoint],
        minimumLogPosition: server.service.logPosition,
      }),
    );
    expect(reached.logPosition).toBe(server.service.logPosition);
    const ahead = await server.request('POST', '/v1/predict', {
      inputs: [leftPoint],
      minimumLogPosition: server.service.logPosition + 100,
    });
    expect(ahead.status).toBe(503);
    expect(ahead.headers.get('retry-after')).toBe('1');
    expect(await json(ahead)).toMatchObject({ error: 'LOG_BEHIND', field: null });
    expect(
      (await server.request('POST', '/v1/predict', { inputs: [leftPoint], minimumLogPosition: -1 })).status,
    ).toBe(400);
  });

  it('edits a batch in order and pages the history newest first', async () => {
    const response = await server.request('POST', '/v1/edits', {
      edits: [
        { input: [-3, 3], label: 1 },
        { input: [-3.7, 3], label: 1 },
        { input: [-3, -3], label: 1 },
      ],
    });
    const { edits } = (await response.json()) as { edits: { id: string; operation: string }[] };
    expect(edits.map((edit) => edit.operation)).toEqual(['ADD', 'EXPAND', 'ADD']);
    const ids = edits.map((edit) => edit.id);
    const positions = ids.map((id) => Number(id.replace('edit-', '')));
    expect(positions).toEqual([positions[0], (positions[0] as number) + 1, (positions[0] as number) + 2]);
    const page = await json(await server.request('GET', '/v1/edits?offset=1&limit=1'));
    expect(page.total).toBe(3);
    expect((page.edits as { id: string }[]).map((edit) => edit.id)).toEqual([ids[1]]);
    const codebook = await json(await server.request('GET', '/v1/codebook'));
    expect(codebook).toMatchObject({
      keys: 2,
      edits: 3,
      keyDimension: 2,
      valueDimension: 100,
      epsInit: 0.45,
    });
    const radius = codebook.radius as { min: number; max: number };
    expect(radius.min).toBeCloseTo(0.45, 6);
    expect(radius.max).toBeGreaterThan(0.45);
  });

  it('snapshots and restores the codebook', async () => {
    const fileBefore = await (await server.request('GET', '/v1/codebook/file')).arrayBuffer();
    const created = await server.request('POST', '/v1/snapshots');
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await server.request('POST', '/v1/edits', { edits: [{ input: [-5, 0], label: 1 }] });
    expect((await json(await server.request('GET', '/v1/codebook'))).keys).toBe(3);
    const restored = await server.request('POST', `/v1/snapshots/${id}/restore`);
    expect(restored.status).toBe(200);
    const fileAfter = await (await server.request('GET', '/v1/codebook/file')).arrayBuffer();
    expect(Buffer.from(fileAfter).equals(Buffer.from(fileBefore))).toBe(true);
    const listed = await json(await server.request('GET', '/v1/snapshots'));
    expect(listed.snapshots).toEqual([expect.objectContaining({ id })]);
    expect((await server.request('POST', '/v1/snapshots/nothing-here/restore')).status).toBe(404);
  });

  it('lists every edit ever made with its status', async () => {
    const all = await json(await server.request('GET', '/v1/edits?status=all&limit=100'));
    const statuses = (all.edits as { id: string; status: string }[]).map((edit) => edit.status).reverse();
    // edit-1 rolled back; three batch edits active; the edit made after the snapshot dropped by its restore.
    expect(statuses).toEqual(['rolled-back', 'active', 'active', 'active', 'replaced']);
    expect(all.total).toBe(5);
    expect((await json(await server.request('GET', '/v1/edits'))).total).toBe(3);
    expect((await server.request('GET', '/v1/edits?status=some')).status).toBe(400);
  });

  it('serves health, Prometheus metrics, the model description and an OpenAPI document', async () => {
    expect(await json(await server.request('GET', '/healthz'))).toMatchObject({
      status: 'ok',
      model: 'synthetic',
    });
    const metrics = await server.request('GET', '/metrics');
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    const text = await metrics.text();
    expect(text).toMatch(/^# HELP grace_predictions_total /m);
    expect(text).toMatch(/^grace_edits_total\{(?=.*operation="ADD")(?=.*model="synthetic").*\} [1-9]/m);
    expect(text).toMatch(
      /^grace_http_request_duration_seconds_count\{(?=.*method="POST")(?=.*route="\/v1\/predict")(?=.*status="200").*\} [1-9]\d*$/m,
    );
    for (const line of text.split('\n').filter((line) => line !== ''))
      expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{.*\})? [-0-9.e+]+)$/);
    const described = await json(await server.request('GET', '/v1/model'));
    expect(described).toMatchObject({ name: 'synthetic', labels: [0, 1], keyDimension: 2 });
    const openapi = await json(await server.request('GET', '/openapi.json'));
    expect(openapi.openapi).toMatch(/^3\./);
    const paths = openapi.paths as Record<string, Record<string, { security?: unknown }>>;
    for (const path of [
      '/v1/predict',
      '/v1/edits',
      '/v1/edits/{id}',
      '/v1/codebook',
      '/v1/snapshots',
      '/metrics',
    ]) {
      expect(paths).toHaveProperty([path]);
    }
    expect(paths['/v1/edits']?.post?.security).toEqual([{ bearerToken: [] }]);
    expect(paths['/v1/predict']?.post?.security).toBeUndefined();
  });

  it('serves the web page', async () => {
    const page = await server.request('GET', '/');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<title>GRACE server</title>');
  });
});

describe('a read-only server', () => {
  let model: Awaited<ReturnType<typeof sharedSyntheticModel>>;
  let server: RunningServer;
  beforeAll(async () => {
    model = await sharedSyntheticModel();
    server = await startTestServer({ ...model, readOnly: true });
  });
  afterAll(async () => {
    await server.stop(true);
  });

  it('answers predictions and refuses every mutation, even with the token', async () => {
    expect((await server.request('POST', '/v1/predict', { inputs: [leftPoint] })).status).toBe(200);
    const refused = await server.request('POST', '/v1/edits', { edits: [{ input: leftPoint, label: 1 }] });
    expect(refused.status).toBe(403);
    expect((await server.request('POST', '/v1/snapshots')).status).toBe(403);
    expect(server.service.codebook.records).toHaveLength(0);
  });
});

describe('predictions while an edit trains', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ ...(await sharedSyntheticModel()), trainingIterations: 3000 });
  });
  afterAll(async () => {
    await server.stop(true);
  });

  it('keeps answering over HTTP from the last committed codebook', async () => {
    let editFinished = 0;
    const edit = server
      .request('POST', '/v1/edits', { edits: [{ input: leftPoint, label: 1 }] })
      .then((response) => {
        editFinished = performance.now();
        return response;
      });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const answered: number[] = [];
    for (let round = 0; round < 5; round++) {
      const started = performance.now();
      const response = await json(await server.request('POST', '/v1/predict', { inputs: [leftPoint] }));
      answered.push(performance.now());
      expect(response.predictions).toEqual([{ label: 0, fired: false, keyIndex: null, editId: null }]);
      expect(performance.now() - started).toBeLessThan(1000);
    }
    expect((await edit).status).toBe(200);
    // Every prediction was answered before the edit finished training.
    for (const time of answered) expect(time).toBeLessThan(editFinished);
    const after = await json(await server.request('POST', '/v1/predict', { inputs: [leftPoint] }));
    expect(after.predictions).toEqual([{ label: 1, fired: true, keyIndex: 0, editId: 'edit-1' }]);
  });
});
