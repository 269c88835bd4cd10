import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import { encodeCodebook } from '@grace/core';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
  type onRequestHookHandler,
} from 'fastify';
import { type AccessOptions, accessControl } from './access-control.js';
import { apiSchemas } from './api-schemas.js';
import { ClientByteBudget } from './client-byte-budget.js';
import { codebookStatistics } from './codebook-statistics.js';
import { type ConnectionLimits, limitConnections } from './connection-limits.js';
import type { EditInput, GraceService } from './grace-service.js';
import { createMetricsRegistry } from './http-metrics.js';
import { checkJsonDepth } from './json-depth.js';
import { answerClientError, refusal, refusalOf } from './refusal.js';
import { type ServedLabel, servedDimensions } from './served-model.js';
import { ServiceUnavailableError } from './service-unavailable-error.js';
import { webPageHtml, webPageScript, webPageStyle } from './web-page.js';

export interface CreateServerOptions extends AccessOptions, Partial<ConnectionLimits> {
  readonly service: GraceService;
  /** Bytes; default 1 MiB. */
  readonly bodyLimit?: number;
  /** Bytes of a prediction request; default 256 KiB (the cost of a request is bounded by its size). */
  readonly predictBodyLimit?: number;
  /** Milliseconds for a whole request, headers and body, to arrive (then 408); default 10,000. */
  readonly requestTimeoutMilliseconds?: number;
  /** Milliseconds an idle connection is kept; default 5,000. */
  readonly idleTimeoutMilliseconds?: number;
  /** Prediction body bytes one client may have in flight; default 1 MiB (four maximal requests). */
  readonly predictBytesInFlightPerClient?: number;
  /** Requests per client address per minute (0: no limit); default 6,000. */
  readonly rateLimitPerMinute?: number;
  /** Fastify's pino logger options, or false; default false. */
  readonly logger?: FastifyServerOptions['logger'];
}

/**
 * The HTTP layer over a {@link GraceService}: JSON routes validated by schema; the host allow-list and the
 * bearer-token scopes checked in an `onRequest` hook (before a body is read); bodies bounded in size and
 * nesting; per-client rate limits; request, header and idle timeouts and connection caps; security headers;
 * every refusal in one `{ error, field, message }` shape; an OpenAPI document, Prometheus metrics, structured
 * request logs with request ids, and the web page.
 */
export async function createServer(options: CreateServerOptions): Promise<FastifyInstance> {
  const { service } = options;
  const schemas = apiSchemas(service.servedModel);
  const metrics = createMetricsRegistry(service);
  const requestTimeout = options.requestTimeoutMilliseconds ?? 10_000;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // requestTimeout bounds receiving a request (headers and body); no socket inactivity timeout, since a
    // batch of edits may train for longer than any such timeout while its connection is rightly silent.
    requestTimeout,
    keepAliveTimeout: options.idleTimeoutMilliseconds ?? 5000,
    http: { headersTimeout: Math.min(requestTimeout, 5000), connectionsCheckingInterval: 500 },
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    clientErrorHandler: answerClientError,
    frameworkErrors: (error, _request, reply) => {
      const refused = refusalOf(error);
      void (reply as FastifyReply).code(refused.status).send(refused.body);
    },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, strictNumbers: true } },
  });
  limitConnections(app.server, {
    maximumConnections: options.maximumConnections ?? 768,
    maximumConnectionsPerClient: options.maximumConnectionsPerClient ?? 128,
  });

  // Nesting is checked in one pass over the text before the framework's JSON parser (which also refuses
  // __proto__ and constructor.prototype keys).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    try {
      checkJsonDepth(body as string);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    parseJson(request, body as string, done);
  });

  await app.register(helmet, {
    contentSecurityPolicy: { directives: { 'connect-src': ["'self'"], 'form-action': ["'none'"] } },
  });
  const rateLimitPerMinute = options.rateLimitPerMinute ?? 6000;
  if (rateLimitPerMinute > 0) {
    await app.register(rateLimit, { max: rateLimitPerMinute, timeWindow: 60_000 });
  }
  await app.register(swagger, {
    openapi: {
      info: { title: 'GRACE server', version: '0.0.0', description: `serving ${service.servedModel.name}` },
      components: { securitySchemes: { bearerToken: { type: 'http', scheme: 'bearer' } } },
    },
  });

  app.addHook('onRequest', accessControl(options));
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((error: Error, request, reply) => {
    const refused = refusalOf(error);
    if (refused.status === 500) request.log.error(error);
    else if (refused.status === 503) request.log.warn({ reason: error.message }, 'refused: unavailable');
    return reply.code(refused.status).headers(refused.headers).send(refused.body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(refusal(404, 'NOT_FOUND', null, `no route ${request.method} ${request.url}`).body),
  );

  const predictBodyLimit = options.predictBodyLimit ?? 256 * 1024;
  const predictBudget = new ClientByteBudget(options.predictBytesInFlightPerClient ?? 1024 * 1024);
  registerRoutes(app, service, schemas, metrics.registry, predictBodyLimit, async (request, reply) => {
    const bytes = Math.min(
      Number(request.headers['content-length'] ?? predictBodyLimit) || 0,
      predictBodyLimit,
    );
    if (!predictBudget.tryTake(request.ip, bytes)) {
      const refused = refusalOf(
        new ServiceUnavailableError(
          'CLIENT_SATURATED',
          'too many of your predictions are in flight; retry later',
        ),
      );
      // Closing the connection spares reading (and discarding) the body the client already sends.
      return reply
        .code(refused.status)
        .headers({ ...refused.headers, connection: 'close' })
        .send(refused.body);
    }
    reply.raw.once('close', () => predictBudget.giveBack(request.ip, bytes));
  });
  return app;
}

function registerRoutes(
  app: FastifyInstance,
  service: GraceService,
  schemas: ReturnType<typeof apiSchemas>,
  registry: ReturnType<typeof createMetricsRegistry>['registry'],
  predictBodyLimit: number,
  predictAdmission: onRequestHookHandler,
): void {
  const read = { scope: 'read' } as const;
  const write = { scope: 'write' } as const;
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(webPageHtml),
  );
  app.get('/page.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(webPageScript),
  );
  app.get('/page.css', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').send(webPageStyle),
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: schemas.health }, async () => ({
    status: 'ok',
    model: service.servedModel.name,
  }));
  app.get('/readyz', { schema: schemas.ready }, async (_request, reply) => {
    const { ready, reason } = service.readiness();
    return reply.code(ready ? 200 : 503).send({
      ready,
      reason,
      logPosition: service.logPosition,
      keys: service.codebook.size,
      queueDepth: service.queueDepth,
      writer: service.role.isWriter(),
      writerAddress: service.role.writerAddress(),
    });
  });
  app.get('/metrics', { schema: schemas.metrics, config: read }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  app.get('/v1/model', { schema: schemas.model }, async () => {
    const { servedModel } = service;
    return {
      name: servedModel.name,
      description: servedModel.description,
      inputSchema: servedModel.inputSchema,
      labels: servedModel.labels,
      exampleInputs: servedModel.exampleInputs,
      ...servedDimensions(servedModel),
    };
  });

  app.post<{ Body: { inputs: unknown[]; minimumLogPosition?: number } }>(
    '/v1/predict',
    { schema: schemas.predict, bodyLimit: predictBodyLimit, onRequest: predictAdmission },
    async (request) => {
      const { minimumLogPosition } = request.body;
      if (minimumLogPosition !== undefined && !(await service.waitForLogPosition(minimumLogPosition, 2000))) {
        throw new ServiceUnavailableError(
          'LOG_BEHIND',
          `this replica is at log position ${service.logPosition}, not yet at ${minimumLogPosition}; retry`,
        );
      }
      // Taken before predicting: the answer comes from this position's codebook or a later one.
      const logPosition = service.logPosition;
      return { predictions: await service.predictJson(request.body.inputs, request.ip), logPosition };
    },
  );
  app.post<{ Body: { edits: { input: unknown; label: ServedLabel }[] } }>(
    '/v1/edits',
    { schema: schemas.createEdits, config: write },
    async (request, reply) => {
      const edits: EditInput[] = request.body.edits.map((edit, index) => ({
        input: service.servedModel.toModelInput(edit.input, `/edits/${index}/input`),
        json: edit.input,
        label: edit.label,
      }));
      const key = request.headers['idempotency-key'];
      const result = await service.editOnce(edits, typeof key === 'string' ? key : undefined);
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return { edits: result.edits, keys: service.codebook.size, logPosition: service.logPosition };
    },
  );
  app.get<{ Querystring: { offset?: string; limit?: string; status?: 'active' | 'all' } }>(
    '/v1/edits',
    { schema: schemas.listEdits, config: read },
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
    { schema: schemas.rollbackEdit, config: write },
    async (request) => ({ rolledBack: await service.rollback(request.params.id) }),
  );
  app.get('/v1/codebook', { schema: schemas.codebook, config: read }, async () =>
    codebookStatistics(service.codebook),
  );
  app.get('/v1/codebook/file', { schema: schemas.codebookFile, config: read }, async (_request, reply) =>
    reply.type('application/octet-stream').send(Buffer.from(encodeCodebook(service.codebook))),
  );
  app.post('/v1/snapshots', { schema: schemas.createSnapshot, config: write }, async (_request, reply) =>
    reply.code(201).send(await service.snapshot()),
  );
  app.get('/v1/snapshots', { schema: schemas.listSnapshots, config: read }, async () => ({
    snapshots: await service.listSnapshots(),
  }));
  app.post<{ Params: { id: string } }>(
    '/v1/snapshots/:id/restore',
    { schema: schemas.restoreSnapshot, config: write },
    async (request) => ({ restored: await service.restore(request.params.id) }),
  );
}
