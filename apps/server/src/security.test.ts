import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RunningServer,
  sharedSyntheticModel,
  startTestServer,
  testToken,
} from './test-support/server-fixture.js';

/**
 * Every refusal must leave the model exactly as it was: each test compares the codebook file before and
 * after, byte for byte.
 */
describe('request security and validation', () => {
  let server: RunningServer;
  let codebookBefore: Buffer;

  beforeAll(async () => {
    server = await startTestServer({
      ...(await sharedSyntheticModel()),
      bodyLimit: 4096,
      trainingIterations: 5,
    });
    const seeded = await server.request('POST', '/v1/edits', { edits: [{ input: [-3.3, 0.9], label: 1 }] });
    expect(seeded.status).toBe(200);
    codebookBefore = await codebookFile();
  });
  afterAll(async () => {
    await server.stop(true);
  });

  const codebookFile = async (): Promise<Buffer> =>
    Buffer.from(await (await server.request('GET', '/v1/codebook/file')).arrayBuffer());
  const expectRefused = async (
    response: Response,
    status: number,
    error: string,
    field?: string,
  ): Promise<void> => {
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: string; field: string | null };
    expect(body.error).toBe(error);
    if (field !== undefined) expect(body.field).toBe(field);
    expect((await codebookFile()).equals(codebookBefore)).toBe(true);
  };

  it('refuses a mutation without the token before parsing its body', async () => {
    // Not even JSON: with a valid token this is a 400 from the parser, without one a 401 from the hook.
    await expectRefused(await server.request('POST', '/v1/edits', '{not json', false), 401, 'UNAUTHORIZED');
    await expectRefused(await server.request('POST', '/v1/edits', '{not json'), 400, 'INVALID_JSON');
    // Larger than the body limit: refused for the token first, for the size once authenticated.
    const huge = JSON.stringify({ edits: [{ input: [1, 2], label: 1 }], padding: 'x'.repeat(10_000) });
    await expectRefused(await server.request('POST', '/v1/edits', huge, false), 401, 'UNAUTHORIZED');
    await expectRefused(await server.request('POST', '/v1/edits', huge), 413, 'BODY_TOO_LARGE');
  });

  it('refuses wrong, partial and differently-sized tokens on every mutating route', async () => {
    const edit = { edits: [{ input: [-1, 1], label: 1 }] };
    for (const token of [`${testToken}x`, testToken.slice(0, -1), 'Bearer', '']) {
      await expectRefused(await server.request('POST', '/v1/edits', edit, token), 401, 'UNAUTHORIZED');
    }
    const [record] = server.service.codebook.records;
    await expectRefused(
      await server.request('DELETE', `/v1/edits/${record?.id}`, undefined, 'nope'),
      401,
      'UNAUTHORIZED',
    );
    await expectRefused(await server.request('POST', '/v1/snapshots', undefined, false), 401, 'UNAUTHORIZED');
    await expectRefused(
      await server.request('POST', '/v1/snapshots/whatever/restore', undefined, false),
      401,
      'UNAUTHORIZED',
    );
    // Predictions need no token.
    expect((await server.request('POST', '/v1/predict', { inputs: [[0, 0]] }, false)).status).toBe(200);
  });

  it('names the field of a wrong type, a missing field, an unknown label and an oversized batch', async () => {
    const cases: [unknown, string][] = [
      [{ edits: [{ input: ['a', 1], label: 1 }] }, '/body/edits/0/input/0'],
      [{ edits: [{ input: [1, 2, 3], label: 1 }] }, '/body/edits/0/input'],
      [{ edits: [{ input: [1, 2] }] }, '/body/edits/0/label'],
      [
        {
          edits: [
            { input: [1, 2], label: 1 },
            { input: [1, 2], label: 7 },
          ],
        },
        '/body/edits/1/label',
      ],
      [{ edits: [{ input: [1, 2], label: '1' }] }, '/body/edits/0/label'],
      [{ edits: [] }, '/body/edits'],
      [{ edits: Array.from({ length: 65 }, () => ({ input: [1, 2], label: 1 })) }, '/body/edits'],
      [{ edits: [{ input: [1, 2], label: 1, extra: true }] }, '/body/edits/0'],
    ];
    for (const [body, field] of cases) {
      await expectRefused(await server.request('POST', '/v1/edits', body), 400, 'VALIDATION', field);
    }
    await expectRefused(
      await server.request('POST', '/v1/predict', { inputs: Array.from({ length: 257 }, () => [0, 0]) }),
      400,
      'VALIDATION',
      '/body/inputs',
    );
    await expectRefused(
      await server.request('GET', '/v1/edits?limit=0'),
      400,
      'VALIDATION',
      '/querystring/limit',
    );
    await expectRefused(await server.request('DELETE', '/v1/edits/..%2F..'), 400, 'VALIDATION', '/params/id');
  });

  it('refuses non-finite and out-of-range numbers, naming the coordinate', async () => {
    // JSON has no Infinity, but 1e400 parses to it.
    await expectRefused(
      await server.request('POST', '/v1/edits', '{"edits":[{"input":[0,1e400],"label":1}]}'),
      400,
      'VALIDATION',
      '/body/edits/0/input/1',
    );
    await expectRefused(
      await server.request('POST', '/v1/predict', '{"inputs":[[-1e400,0]]}'),
      400,
      'VALIDATION',
      '/body/inputs/0/0',
    );
    await expectRefused(
      await server.request('POST', '/v1/edits', { edits: [{ input: [0, 1e300], label: 1 }] }),
      400,
      'OUT_OF_RANGE',
      '/edits/0/input/1',
    );
  });

  it('refuses a batch as a whole when one of its edits is bad', async () => {
    const body = {
      edits: [
        { input: [-4, -3], label: 1 },
        { input: [0, 1e300], label: 1 },
      ],
    };
    await expectRefused(
      await server.request('POST', '/v1/edits', body),
      400,
      'OUT_OF_RANGE',
      '/edits/1/input/1',
    );
    await expectRefused(await server.request('DELETE', '/v1/edits/edit-999'), 404, 'UNKNOWN_EDIT');
  });
});
