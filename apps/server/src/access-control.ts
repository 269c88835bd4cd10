import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerTokenMatches } from './bearer-token.js';
import { refusal } from './refusal.js';

/**
 * Who may call a route: `public` (predictions, the page, health, the model description), `read` (what users
 * typed — edit inputs — the codebook file, snapshots, metrics) or `write` (anything that changes the model).
 */
export type RouteScope = 'public' | 'read' | 'write';

export interface AccessOptions {
  /** Token of the `write` scope; undefined only with `--insecure` or `--read-only`. */
  readonly token: string | undefined;
  /** A token that opens only the `read` scope (the write token opens it too). */
  readonly readToken?: string | undefined;
  /** The `read` scope needs no token (explicitly chosen). */
  readonly publicReads?: boolean;
  readonly readOnly?: boolean;
  /** Host names (no port) the server answers to, or `any`; default {@link loopbackHostNames}. */
  readonly allowedHosts?: readonly string[] | 'any';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; default `public`. */
    scope?: RouteScope;
  }
}

/**
 * The `onRequest` check of every request, before its body is read or parsed: the `Host` header against the
 * allow-list (a browser tricked by DNS rebinding sends the attacker's host name, and is refused), then the
 * route's scope against the bearer token.
 */
export function accessControl(options: AccessOptions) {
  const allowed = options.allowedHosts ?? loopbackHostNames;
  const allowedHosts = allowed === 'any' ? undefined : allowed.map((host) => host.toLowerCase());
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (allowedHosts !== undefined && !allowedHosts.includes(hostName(request.headers.host))) {
      return refuse(
        reply,
        421,
        'HOST_NOT_ALLOWED',
        '/headers/host',
        'this server does not answer to that host',
      );
    }
    const scope = request.routeOptions.config.scope ?? 'public';
    if (scope === 'public') return;
    const header = request.headers.authorization;
    if (scope === 'write' && options.readOnly === true) {
      return refuse(reply, 403, 'READ_ONLY', null, 'this server is read-only');
    }
    const accepted =
      scope === 'read'
        ? options.publicReads === true ||
          options.token === undefined ||
          bearerTokenMatches(header, options.token) ||
          (options.readToken !== undefined && bearerTokenMatches(header, options.readToken))
        : options.token === undefined || bearerTokenMatches(header, options.token);
    if (!accepted) {
      reply.header('www-authenticate', 'Bearer');
      return refuse(
        reply,
        401,
        'UNAUTHORIZED',
        '/headers/authorization',
        `a valid bearer token (${scope} scope) is required`,
      );
    }
  };
}

function refuse(
  reply: FastifyReply,
  status: number,
  code: string,
  field: string | null,
  message: string,
): FastifyReply {
  return reply.code(status).send(refusal(status, code, field, message).body);
}

/** The host name of a `Host` header, lower-case, without its port (`[::1]:8080` → `[::1]`). */
export function hostName(header: string | undefined): string {
  if (header === undefined) return '';
  const host = header.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

/** The names a loopback-bound server answers to by default. */
export const loopbackHostNames: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** Whether a bind address is loopback only (where any `Host` may be answered by default). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}
