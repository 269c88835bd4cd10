import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import type { GraceBackend } from '@grace/core';
import type { FastifyInstance } from 'fastify';
import { type CreateServerOptions, createServer } from '../create-server.js';
import type { EditLogStore } from '../edit-log-store.js';
import { GraceService, type GraceServiceOptions } from '../grace-service.js';
import { PredictionPool, type PredictionPoolOptions } from '../prediction-pool.js';
import type { ServedModel } from '../served-model.js';
import { SqliteEditLogStore } from '../sqlite-edit-log-store.js';
import { createSyntheticServedModel } from '../synthetic-served-model.js';

/** The token every test server is started with. */
export const testToken = 'test-token-0123456789abcdef';

/** A served model built once per test file (training it takes about a second). */
export async function sharedSyntheticModel(): Promise<{ backend: GraceBackend; servedModel: ServedModel }> {
  const backend = createCpuBackend();
  return { backend, servedModel: await createSyntheticServedModel({ backend, seed: 7 }) };
}

/** A real server on 127.0.0.1 with an ephemeral port over a real SQLite file in a temporary directory. */
export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly service: GraceService;
  readonly directory: string;
  /** JSON request helper; `token: false` sends none. */
  request(method: string, path: string, body?: unknown, token?: string | false): Promise<Response>;
  /** Stops the server; keeps the directory unless `remove`. */
  stop(remove?: boolean): Promise<void>;
}

export async function startTestServer(options: {
  readonly backend: GraceBackend;
  readonly servedModel: ServedModel;
  readonly directory?: string;
  readonly readOnly?: boolean;
  readonly bodyLimit?: number;
  readonly trainingIterations?: number;
  /** Predictions on the event loop instead of in a worker thread (for tests that time the loop itself). */
  readonly inProcessPredictions?: boolean;
  /** Anything else `createServer` takes (token, scopes, limits, timeouts). */
  readonly server?: Partial<Omit<CreateServerOptions, 'service'>>;
  readonly store?: EditLogStore;
  /** Prediction pool settings (bounds, slice cost). */
  readonly pool?: Partial<Omit<PredictionPoolOptions, 'published'>>;
  readonly serviceOptions?: Partial<GraceServiceOptions>;
}): Promise<RunningServer> {
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'grace-server-'));
  const store = options.store ?? new SqliteEditLogStore(join(directory, 'edit-log.sqlite'));
  const service = await GraceService.open({
    servedModel: options.servedModel,
    backend: options.backend,
    store,
    ...options.serviceOptions,
    ...(options.trainingIterations === undefined ? {} : { trainingIterations: options.trainingIterations }),
  });
  const pool =
    options.inProcessPredictions === true
      ? undefined
      : new PredictionPool({
          model: options.servedModel.name,
          seed: 7,
          workers: 1,
          ...options.pool,
          published: () => service.published(),
        });
  if (pool !== undefined) {
    service.attachPredictionPool(pool);
    await pool.ready();
  }
  const app = await createServer({
    service,
    token: testToken,
    ...(options.readOnly === undefined ? {} : { readOnly: options.readOnly }),
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...options.server,
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    app,
    service,
    directory,
    request(method, path, body, token = testToken) {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (token !== false) headers.authorization = `Bearer ${token}`;
      return fetch(`${url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
    },
    async stop(remove = false) {
      await app.close();
      await pool?.close();
      await service.close();
      if (remove) rmSync(directory, { recursive: true, force: true });
    },
  };
}
