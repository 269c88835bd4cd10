import swagger from '@fastify/swagger';
import { encodeCodebook } from '@grace/core';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { apiSchemas } from './api-schemas.js';
import { bearerTokenMatches } from './bearer-token.js';
import { codebookStatistics } from './codebook-statistics.js';
import type { EditInput, GraceService } from './grace-service.js';
import { InputError } from './input-error.js';
import { HttpMetrics, prometheusText } from './prometheus-text.js';
import type { ServedLabel } from './served-model.js';
import { webPage } from './web-page.js';

export interface CreateServerOptions {
  readonly service: GraceService;
  /** Required for mutations unless `insecure`. */
  readonly token: string | undefined;
  readonly readOnly?: boolean;
  /** Bytes; default 1 MiB. */
  readonly bodyLimit?: number;
  readonly logger?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Changes the model: needs the bearer token, refused in read-only mode. */
    mutating?: boolean;
  }
}

/**
 * The HTTP layer over a {@link GraceService}: JSON routes validated by schema, the bearer-token check in an
 * `onRequest` hook (so an unauthenticated request is refused before its body is even read or parsed), an
 * OpenAPI document at /openapi.json, Prometheus metrics and the web page at /.
 */
export async function createServer(options: CreateServerOptions): Promise<FastifyInstance> {
  const { service } = options;
  const schemas = apiSchemas(service.servedModel);
  const http = new HttpMetrics();
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, strictNumbers: true } },
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'GRACE server', version: '0.0.0', description: `serving ${service.servedModel.name}` },
      components: { securitySchemes: { bearerToken: { type: 'http', scheme: 'bearer' } } },
    },
  });

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.mutating !== true) return;
    if (options.readOnly === true) {
      return reply.code(403).send({ error: 'READ_ONLY', field: null, message: 'this server is read-only' });
    }
    if (options.token === undefined) return;
    if (!bearerTokenMatches(request.headers.authorization, options.token)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({
        error: 'UNAUTHORIZED',
        field: '/headers/authorization',
        message: 'a valid bearer token is required',
      });
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    http.observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((error: FastifyError | InputError, _request, reply) => {
    if (error instanceof InputError) {
      return reply
        .code(error.statusCode)
        .send({ error: error.code, field: error.field, message: error.message });
    }
    if (error.validation !== undefined) {
      const [first] = error.validation;
      const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
      const field = `${first?.instancePath ?? ''}${missing === undefined ? '' : `/${missing}`}` || '/';
      return reply.code(400).send({
        error: 'VALIDATION',
        field: `/${error.validationContext ?? 'body'}${field === '/' ? '' : field}`,
        message: `${field} ${first?.message ?? 'is invalid'}`,
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) reply.log.error(error);
    return reply.code(status).send({
      error: error.code ?? 'INTERNAL',
      field: null,
      message: status >= 500 ? 'internal error' : error.message,
    });
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'NOT_FOUND', field: null, message: `no route ${request.method} ${request.url}` }),
  );
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(webPage),
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: schemas.health }, async () => ({
    status: 'ok',
    model: service.servedModel.name,
    keys: service.codebook.size,
    queueDepth: service.queueDepth,
  }));
  app.get('/metrics', { schema: schemas.metrics }, async (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(prometheusText(service, http)),
  );
  app.get('/v1/model', { schema: schemas.model }, async () => {
    const { servedModel } = service;
    return {
      name: servedModel.name,
      description: servedModel.description,
      inputSchema: servedModel.inputSchema,
      labels: servedModel.labels,
      exampleInputs: servedModel.exampleInputs,
      layerId: servedModel.model.layerId,
      keyDimension: servedModel.model.keyDimension,
      valueDimension: servedModel.model.valueDimension,
    };
  });

  app.post<{ Body: { inputs: unknown[] } }>('/v1/predict', { schema: schemas.predict }, async (request) => {
    const inputs = request.body.inputs.map((json, index) =>
      service.servedModel.toModelInput(json, `/inputs/${index}`),
    );
    return { predictions: await service.predict(inputs) };
  });

  app.post<{ Body: { edits: { input: unknown; label: ServedLabel }[] } }>(
    '/v1/edits',
    { schema: schemas.createEdits, config: { mutating: true } },
    async (request) => {
      const edits: EditInput[] = request.body.edits.map((edit, index) => ({
        input: service.servedModel.toModelInput(edit.input, `/edits/${index}/input`),
        json: edit.input,
        label: edit.label,
      }));
      const accepted = await service.edit(edits);
      return { edits: accepted, keys: service.codebook.size };
    },
  );
  app.get<{ Querystring: { offset?: string; limit?: string; status?: 'active' | 'all' } }>(
    '/v1/edits',
    { schema: schemas.listEdits },
    async (request) => {
      const offset = Number(request.query.offset ?? 0);
      const limit = Number(request.query.limit ?? 50);
      const page =
        request.query.status === 'all'
          ? service.listHistory(offset, limit)
          : service.listEdits(offset, limit);
      return { offset, limit, ...page };
    },
  );
  app.delete<{ Params: { id: string } }>(
    '/v1/edits/:id',
    { schema: schemas.rollbackEdit, config: { mutating: true } },
    async (request) => ({ rolledBack: await service.rollback(request.params.id) }),
  );

  app.get('/v1/codebook', { schema: schemas.codebook }, async () => codebookStatistics(service.codebook));
  app.get('/v1/codebook/file', { schema: schemas.codebookFile }, async (_request, reply) =>
    reply.type('application/octet-stream').send(Buffer.from(encodeCodebook(service.codebook))),
  );
  app.post(
    '/v1/snapshots',
    { schema: schemas.createSnapshot, config: { mutating: true } },
    async (_request, reply) => reply.code(201).send(await service.snapshot()),
  );
  app.get('/v1/snapshots', { schema: schemas.listSnapshots }, async () => ({
    snapshots: await service.listSnapshots(),
  }));
  app.post<{ Params: { id: string } }>(
    '/v1/snapshots/:id/restore',
    { schema: schemas.restoreSnapshot, config: { mutating: true } },
    async (request) => ({ restored: await service.restore(request.params.id) }),
  );
  return app;
}
