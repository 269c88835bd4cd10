import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from './test-support/raw-http.js';
import {
  type RunningServer,
  sharedSyntheticModel,
  startTestServer,
  testToken,
} from './test-support/server-fixture.js';

/** Every refusal body: exactly `{ error, field, message }`, a stable upper-case code, no framework or SQLite names. */
function expectDocumentedShape(body: string): { error: string; field: string | null } {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  expect(Object.keys(parsed).sort()).toEqual(['error', 'field', 'message']);
  expect(parsed.error).toMatch(/^[A-Z][A-Z_]+$/);
  expect(parsed.field === null || typeof parsed.field === 'string').toBe(true);
  expect(body).not.toMatch(/FST_|SQLITE|fastify|better-sqlite3|statusCode/i);
  return parsed as { error: string; field: string | null };
}

describe('every refusal in the documented shape', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({
      ...(await sharedSyntheticModel()),
      bodyLimit: 4096,
      server: { requestTimeoutMilliseconds: 1000, rateLimitPerMinute: 40 },
    });
  });
  afterAll(async () => {
    await server.stop(true);
  });

  const request = (lines: string[], body = ''): string => `${lines.join('\r\n')}\r\n\r\n${body}`;
  const host = (): string => `Host: ${new URL(server.url).host}`;

  it('answers parser-level refusals (400, 408, 413, 414, 431) in the shape', async () => {
    const cases: [string, number, string][] = [
      [request(['GARBAGE / HTTP/1.1', host()]), 400, 'BAD_REQUEST'],
      [request(['GET / HTTP/1.1', host(), `X-Big: ${'a'.repeat(20_000)}`]), 431, 'HEADERS_TOO_LARGE'],
      [
        request([
          'DELETE /v1/edits/'.concat('e'.repeat(200), ' HTTP/1.1'),
          host(),
          `Authorization: Bearer ${testToken}`,
        ]),
        414,
        'URI_TOO_LONG',
      ],
      [
        request(
          [
            'POST /v1/edits HTTP/1.1',
            host(),
            `Authorization: Bearer ${testToken}`,
            'Content-Type: application/json',
            'Content-Length: 10000',
          ],
          'x'.repeat(10_000),
        ),
        413,
        'BODY_TOO_LARGE',
      ],
      // A body shorter than its Content-Length: answered 408 once the request timeout passes.
      [
        request(
          ['POST /v1/predict HTTP/1.1', host(), 'Content-Type: application/json', 'Content-Length: 1000'],
          '{"inputs":[',
        ),
        408,
        'REQUEST_TIMEOUT',
      ],
    ];
    for (const [bytes, status, code] of cases) {
      const response = await rawRequest(server.url, bytes);
      expect(response.status, code).toBe(status);
      expect(expectDocumentedShape(response.body).error).toBe(code);
    }
  });

  it('answers routing, media-type, host, nesting and rate-limit refusals in the shape', async () => {
    const cases: [Promise<Response>, number, string][] = [
      [server.request('GET', '/nothing'), 404, 'NOT_FOUND'],
      [
        fetch(`${server.url}/v1/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/xml' },
          body: 'x',
        }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        server.request('POST', '/v1/predict', `{"inputs":${'['.repeat(100)}${']'.repeat(100)}}`),
        400,
        'TOO_DEEP',
      ],
      [server.request('POST', '/v1/predict', '{"inputs":'), 400, 'INVALID_JSON'],
      [server.request('POST', '/v1/predict', '{"__proto__":{"inputs":[[0,0]]}}'), 400, 'INVALID_JSON'],
    ];
    for (const [pending, status, code] of cases) {
      const response = await pending;
      expect(response.status, code).toBe(status);
      expect(expectDocumentedShape(await response.text()).error).toBe(code);
    }
    const wrongHost = await rawRequest(
      server.url,
      request(['GET /healthz HTTP/1.1', 'Host: attacker.example']),
    );
    expect(wrongHost.status).toBe(421);
    expect(expectDocumentedShape(wrongHost.body).error).toBe('HOST_NOT_ALLOWED');
    let limited: Response | undefined;
    for (let index = 0; index < 60 && limited === undefined; index++) {
      const response = await server.request('GET', '/healthz');
      if (response.status === 429) limited = response;
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(expectDocumentedShape(await (limited as Response).text()).error).toBe('RATE_LIMITED');
  });
});
