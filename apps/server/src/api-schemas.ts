import type { JsonSchema, ServedModel } from './served-model.js';

/** Most inputs one prediction request may carry; beyond this a client should split its batch. */
export const maximumPredictionBatch = 256;
/** Most edits one request may carry; each trains for up to ~100 Adam iterations while holding the queue. */
export const maximumEditBatch = 64;

const identifier = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,100}$' } as const;
const bearer = [{ bearerToken: [] }];

/**
 * The request schemas of every route, built from the served model's input schema and label set, so fastify
 * refuses a wrong type, a missing field, an oversized batch or an unknown label before any handler runs,
 * and the OpenAPI document says exactly what is accepted.
 */
export function apiSchemas(servedModel: ServedModel) {
  const input: JsonSchema = servedModel.inputSchema;
  const label = { enum: [...servedModel.labels], description: 'one of the labels of the model' };
  return {
    predict: {
      summary: 'Predict a batch; per input, the label and whether (and which) codebook key fired',
      body: {
        type: 'object',
        required: ['inputs'],
        additionalProperties: false,
        properties: {
          inputs: { type: 'array', minItems: 1, maxItems: maximumPredictionBatch, items: input },
          minimumLogPosition: {
            type: 'integer',
            minimum: 0,
            description:
              'answer only from a codebook that includes this log position (read-your-writes after an edit ' +
              'answered with it); a replica behind waits up to 2 s, then answers 503 LOG_BEHIND',
          },
        },
      },
    },
    createEdits: {
      summary: 'Correct the model: one edit or a batch, applied in order, all or nothing',
      security: bearer,
      headers: {
        type: 'object',
        properties: {
          'idempotency-key': {
            type: 'string',
            pattern: '^[\\x21-\\x7e]{1,200}$',
            description: 'a retry with the same key is answered from the log, never applied twice',
          },
        },
      },
      body: {
        type: 'object',
        required: ['edits'],
        additionalProperties: false,
        properties: {
          edits: {
            type: 'array',
            minItems: 1,
            maxItems: maximumEditBatch,
            items: {
              type: 'object',
              required: ['input', 'label'],
              additionalProperties: false,
              properties: { input, label },
            },
          },
        },
      },
    },
    listEdits: {
      summary: 'Active edits (or, with status=all, every edit ever made), newest first, paged',
      security: bearer,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          offset: { type: 'string', pattern: '^[0-9]{1,9}$' },
          limit: { type: 'string', pattern: '^([1-9][0-9]{0,2}|1000)$' },
          status: { type: 'string', enum: ['active', 'all'] },
        },
      },
    },
    rollbackEdit: {
      summary: 'Roll an edit back, exactly, as if it had never been made',
      security: bearer,
      params: { type: 'object', required: ['id'], properties: { id: identifier } },
    },
    createSnapshot: { summary: 'Store the current codebook under a new snapshot id', security: bearer },
    listSnapshots: { summary: 'Stored snapshots', security: bearer },
    restoreSnapshot: {
      summary: 'Replace the codebook by a stored snapshot (logged, so a restart replays it)',
      security: bearer,
      params: { type: 'object', required: ['id'], properties: { id: identifier } },
    },
    codebook: { summary: 'Codebook size and radius statistics', security: bearer },
    codebookFile: { summary: 'The committed codebook as a codebook file (safetensors)', security: bearer },
    model: { summary: 'The served model: name, input schema, labels' },
    health: { summary: 'Liveness: the process answers' },
    ready: {
      summary:
        'Readiness: 200 while the edit log is writable, else 503; `writer` says whether this process takes ' +
        'edits (on a shared PostgreSQL log only the lease holder does) and `writerAddress` where they go',
    },
    metrics: { summary: 'Prometheus text format', security: bearer },
  } as const;
}
