import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkJsonDepth } from './json-depth.js';
import { openConnection, rawRequest } from './test-support/raw-http.js';
import { type RunningServer, sharedSyntheticModel, startTestServer } from './test-support/server-fixture.js';

describe('the cost of one request is bounded', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({
      ...(await sharedSyntheticModel()),
      trainingIterations: 5,
      server: {
        predictBodyLimit: 8192,
        requestTimeoutMilliseconds: 1500,
        maximumConnectionsPerClient: 20,
      },
    });
  });
  afterAll(async () => {
    await server.stop(true);
  });

  it('refuses deep nesting in one pass, ignoring brackets inside strings', () => {
    expect(() => checkJsonDepth('['.repeat(300_000))).toThrow(/nested deeper than 32/);
    expect(() => checkJsonDepth(`{"a":"${'['.repeat(1000)}"}`)).not.toThrow();
    expect(() => checkJsonDepth(`{"a":"\\"${'['.repeat(1000)}"}`)).not.toThrow();
    expect(() => checkJsonDepth(`${'['.repeat(32)}${']'.repeat(32)}`)).not.toThrow();
  });

  it('refuses a prediction body over its own limit, and a 300,000-deep body, changing nothing', async () => {
    const big = await server.request('POST', '/v1/predict', {
      inputs: Array.from({ length: 1000 }, () => [1.5, -2.25]),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: 'BODY_TOO_LARGE', field: '/body' });
    const deep = await fetch(`${server.url}/v1/edits`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-token-0123456789abcdef' },
      body: `{"edits":${'['.repeat(300_000)}`,
    });
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ error: 'TOO_DEEP', field: '/body' });
    expect(server.service.codebook.size).toBe(0);
  });

  it('answers predictions from a worker thread identically to the event loop, key owners included', async () => {
    expect(
      (await server.request('POST', '/v1/edits', { edits: [{ input: [-3.3, 0.9], label: 1 }] })).status,
    ).toBe(200);
    const inputs = [
      [-3.3, 0.9],
      [2, 0.5],
      [-1.5, -1],
      [0, 0],
      [-3.4, 1],
    ];
    const response = (await (await server.request('POST', '/v1/predict', { inputs })).json()) as {
      predictions: unknown[];
      logPosition: number;
    };
    expect(response.predictions).toEqual(await server.service.predict(inputs));
    expect(response.logPosition).toBe(1);
    expect(response.predictions[0]).toMatchObject({ label: 1, fired: true, editId: 'edit-1' });
  });

  it('caps connections per client and answers a body that never finishes with 408, while /healthz answers', async () => {
    const held = await Promise.all(
      Array.from({ length: 40 }, () => openConnection(server.url, '127.0.0.2').catch(() => undefined)),
    );
    const host = new URL(server.url).host;
    for (const socket of held) {
      socket?.write(
        `POST /v1/predict HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"inputs":[`,
      );
    }
    try {
      await expect
        .poll(() => held.filter((socket) => socket !== undefined && !socket.destroyed).length, {
          timeout: 10_000,
        })
        .toBeLessThanOrEqual(20);
      const health = await rawRequest(
        server.url,
        `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect(health.status).toBe(200);
      const slow = await rawRequest(
        server.url,
        `POST /v1/predict HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"inputs":[`,
        { localAddress: '127.0.0.3' },
      );
      expect(slow.status).toBe(408);
      expect(JSON.parse(slow.body)).toMatchObject({ error: 'REQUEST_TIMEOUT', field: null });
    } finally {
      for (const socket of held) socket?.destroy();
    }
  });
});

describe('a saturated prediction pool', () => {
  let server: RunningServer;
  beforeAll(async () => {
    const model = await sharedSyntheticModel();
    server = await startTestServer({ ...model, pool: { maximumQueuedPerClient: 2, sliceCost: 20 } });
  });
  afterAll(async () => {
    await server.stop(true);
  });

  it('refuses predictions beyond a client budget of bytes in flight, before reading their bodies', async () => {
    const local = await startTestServer({
      ...(await sharedSyntheticModel()),
      server: { predictBytesInFlightPerClient: 3000 },
    });
    try {
      const body = JSON.stringify({ inputs: Array.from({ length: 200 }, (_, index) => [index / 100, 1]) });
      const responses = await Promise.all(
        Array.from({ length: 6 }, () => local.request('POST', '/v1/predict', body)),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses).toContain(200);
      expect(statuses).toContain(503);
      const refused = responses.find((response) => response.status === 503) as Response;
      expect(await refused.json()).toMatchObject({ error: 'CLIENT_SATURATED', field: null });
      expect((await local.request('POST', '/v1/predict', body)).status).toBe(200);
    } finally {
      await local.stop(true);
    }
  });

  it('answers 503 with Retry-After instead of queueing without bound', async () => {
    const inputs = Array.from({ length: 50 }, (_, index) => [index / 10, 1]);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => server.request('POST', '/v1/predict', { inputs })),
    );
    const refused = responses.filter((response) => response.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.headers.get('retry-after')).toBe('1');
    expect(await refused[0]?.json()).toMatchObject({ error: 'CLIENT_SATURATED', field: null });
    expect((await server.request('POST', '/v1/predict', { inputs: [[0, 0]] })).status).toBe(200);
  });
});
