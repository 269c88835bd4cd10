import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from './test-support/raw-http.js';
import {
  type RunningServer,
  sharedSyntheticModel,
  startTestServer,
  testToken,
} from './test-support/server-fixture.js';

const readToken = 'read-only-token-0123456789';
const readRoutes = [
  '/v1/edits',
  '/v1/edits?status=all',
  '/v1/codebook',
  '/v1/codebook/file',
  '/v1/snapshots',
  '/metrics',
];

describe('who may read and write', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ ...(await sharedSyntheticModel()), server: { readToken } });
  });
  afterAll(async () => {
    await server.stop(true);
  });

  it('protects reads by default: edit inputs, the codebook file, snapshots and metrics need a token', async () => {
    for (const path of readRoutes) {
      const anonymous = await server.request('GET', path, undefined, false);
      expect(anonymous.status, path).toBe(401);
      expect(await anonymous.json()).toMatchObject({
        error: 'UNAUTHORIZED',
        field: '/headers/authorization',
      });
      expect((await server.request('GET', path, undefined, readToken)).status, path).toBe(200);
      expect((await server.request('GET', path, undefined, testToken)).status, path).toBe(200);
    }
    for (const path of ['/', '/page.js', '/page.css', '/healthz', '/readyz', '/v1/model', '/openapi.json']) {
      expect((await server.request('GET', path, undefined, false)).status, path).toBe(200);
    }
  });

  it('lets the read token read but never write', async () => {
    const edit = { edits: [{ input: [-3.3, 0.9], label: 1 }] };
    expect((await server.request('POST', '/v1/edits', edit, readToken)).status).toBe(401);
    expect((await server.request('POST', '/v1/snapshots', undefined, readToken)).status).toBe(401);
    expect(server.service.codebook.size).toBe(0);
  });

  it('takes the bearer scheme in any case (RFC 9110) and nothing else', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer', 'bEaReR']) {
      const response = await fetch(`${server.url}/v1/codebook`, {
        headers: { authorization: `${scheme} ${readToken}` },
      });
      expect(response.status, scheme).toBe(200);
    }
    for (const header of [`Basic ${readToken}`, `Bearer${readToken}`, `Bearer ${readToken} extra`]) {
      expect((await fetch(`${server.url}/v1/codebook`, { headers: { authorization: header } })).status).toBe(
        401,
      );
    }
  });

  it('answers only the allowed Host names (DNS rebinding) and sends security headers', async () => {
    const port = new URL(server.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      const response = await rawRequest(
        server.url,
        `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect(response.status, host).toBe(200);
    }
    for (const host of [`evil.example:${port}`, 'rebind.attacker.test', '']) {
      const response = await rawRequest(
        server.url,
        `GET /v1/model HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect(response.status, host).toBe(421);
    }
    const page = await server.request('GET', '/', undefined, false);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toMatch(/frame-ancestors 'none'|frame-ancestors 'self'/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toMatch(/SAMEORIGIN|DENY/);
    expect(page.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('a server with public reads, chosen explicitly', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ ...(await sharedSyntheticModel()), server: { publicReads: true } });
  });
  afterAll(async () => {
    await server.stop(true);
  });

  it('answers reads without a token and still guards writes', async () => {
    for (const path of readRoutes)
      expect((await server.request('GET', path, undefined, false)).status).toBe(200);
    expect((await server.request('POST', '/v1/snapshots', undefined, false)).status).toBe(401);
  });
});
