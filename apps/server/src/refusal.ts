import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError } from 'fastify';
import { InputError } from './input-error.js';
import { ServiceUnavailableError } from './service-unavailable-error.js';

/** The body of every refusal: a stable code, the JSON pointer of the field at fault (or null), a message. */
export interface RefusalBody {
  readonly error: string;
  readonly field: string | null;
  readonly message: string;
}

/** A refusal as the HTTP layer sends it. */
export interface Refusal {
  readonly status: number;
  readonly body: RefusalBody;
  readonly headers: Readonly<Record<string, string>>;
}

/** Fastify's own error codes, renamed so no framework name reaches a client. */
const frameworkCodes: Readonly<Record<string, { error: string; field: string | null }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { error: 'BODY_TOO_LARGE', field: '/body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { error: 'INVALID_JSON', field: '/body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { error: 'INVALID_JSON', field: '/body' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { error: 'UNSUPPORTED_MEDIA_TYPE', field: '/headers/content-type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { error: 'INVALID_CONTENT_LENGTH', field: '/headers/content-length' },
  FST_ERR_CTP_EMPTY_TYPE: { error: 'UNSUPPORTED_MEDIA_TYPE', field: '/headers/content-type' },
  FST_ERR_BAD_URL: { error: 'BAD_URL', field: '/url' },
  FST_ERR_MAX_PARAM_LENGTH: { error: 'URI_TOO_LONG', field: '/url' },
};

/** Codes by status, for errors that carry only a status (rate limiting, timeouts, plugins). */
const statusCodes: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  408: 'REQUEST_TIMEOUT',
  413: 'BODY_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  503: 'UNAVAILABLE',
};

/** Messages a client can act on, by code, where the framework's own would name internals. */
const messages: Readonly<Record<string, string>> = {
  BODY_TOO_LARGE: 'the request body is larger than this endpoint accepts',
  INVALID_JSON: 'the body is not valid JSON',
  URI_TOO_LONG: 'the URL is too long',
  HEADERS_TOO_LARGE: 'the request headers are too large',
  REQUEST_TIMEOUT: 'the request was not received in time',
  BAD_REQUEST: 'the request is malformed',
};

/**
 * Turns any error a request can end in into the documented refusal: `InputError` and
 * `ServiceUnavailableError` keep their code and field; schema failures name the field; framework errors get
 * a stable code of ours; anything else is a 500 `INTERNAL` whose details go only to the log.
 */
export function refusalOf(error: FastifyError | Error): Refusal {
  if (error instanceof InputError) {
    return refusal(error.statusCode, error.code, error.field, error.message);
  }
  if (error instanceof ServiceUnavailableError) {
    return {
      ...refusal(503, error.code, null, error.message),
      headers: { ...error.headers, 'retry-after': String(error.retryAfterSeconds) },
    };
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation !== undefined) {
    const [first] = fastifyError.validation;
    const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
    const field = `${first?.instancePath ?? ''}${missing === undefined ? '' : `/${missing}`}` || '/';
    return refusal(
      400,
      'VALIDATION',
      `/${fastifyError.validationContext ?? 'body'}${field === '/' ? '' : field}`,
      `${field} ${first?.message ?? 'is invalid'}`,
    );
  }
  const status = fastifyError.statusCode ?? 500;
  const known = fastifyError.code === undefined ? undefined : frameworkCodes[fastifyError.code];
  if (status >= 500) {
    return status === 503
      ? { ...refusal(503, 'UNAVAILABLE', null, 'retry later'), headers: { 'retry-after': '1' } }
      : refusal(500, 'INTERNAL', null, 'internal error');
  }
  const code = known?.error ?? statusCodes[status] ?? 'BAD_REQUEST';
  const message = status === 429 ? fastifyError.message : (messages[code] ?? 'the request was refused');
  return refusal(status, code, known?.field ?? null, message);
}

export function refusal(status: number, error: string, field: string | null, message: string): Refusal {
  return { status, body: { error, field, message }, headers: {} };
}

/**
 * Answers errors Node's HTTP parser raises before there is any request object (a malformed request line,
 * headers too large, a request or body that did not arrive in time) in the same documented shape, then
 * closes the connection.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const code = statusCodes[status] as string;
  const body = JSON.stringify({ error: code, field: null, message: messages[code] });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
