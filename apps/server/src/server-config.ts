import { resolve } from 'node:path';
import { isLoopbackHost, loopbackHostNames } from './access-control.js';
import { maskToken } from './bearer-token.js';
import { defaultServedModelName } from './served-models.js';

/** Everything `pnpm serve` can be told, by flag or environment variable (flags win). */
export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  /** Bearer token of the mutating endpoints (and of reads); undefined means none was given. */
  readonly token: string | undefined;
  /** A token that opens only the read endpoints (edit inputs, codebook file, snapshots, metrics). */
  readonly readToken: string | undefined;
  /** The read endpoints need no token (explicitly chosen). */
  readonly publicReads: boolean;
  /** Host names the server answers to, or `any`. */
  readonly allowedHosts: readonly string[] | 'any';
  readonly dataDirectory: string;
  readonly model: string;
  /** Serve without a token, or with a short one (explicitly unsafe). */
  readonly insecure: boolean;
  /** Predictions and inspection only; every mutating endpoint answers 403. */
  readonly readOnly: boolean;
  /** Largest request body accepted, in bytes. */
  readonly bodyLimit: number;
  /** Milliseconds for a request, headers and body, to arrive before 408. */
  readonly requestTimeout: number;
  /** Requests per client address per minute, 0 for no limit. */
  readonly rateLimit: number;
  readonly maximumConnections: number;
  readonly maximumConnectionsPerClient: number;
  /** Prediction worker threads; undefined: one fewer than the cores. */
  readonly predictionWorkers: number | undefined;
  /** Recovery: drop every log entry after this position (a copy of the log is kept first). */
  readonly discardLogAfter: number | undefined;
  /** pino log level of the request log (`silent` for none). */
  readonly logLevel: string;
  /** Adam iterations per edit, overriding the model's default. */
  readonly trainingIterations: number | undefined;
  readonly seed: number;
  /** Where the edit log lives: `sqlite` (a file in the data directory, the default) or a PostgreSQL URL. */
  readonly store: { readonly kind: 'sqlite' } | { readonly kind: 'postgres'; readonly url: string };
  /** The base URL replicas name when they refuse an edit while this process is the writer (default: the bound address). */
  readonly advertiseUrl: string | undefined;
}

/** A configuration the server must not start with; the message says which flag or variable to fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Shortest token accepted without `--insecure`, in bytes (128 bits). */
export const minimumTokenBytes = 16;

const usage = `usage: grace-server [--port N] [--host H] [--token T] [--read-token T] [--public-reads]
                    [--allowed-hosts A,B] [--data-dir D] [--model NAME] [--insecure] [--read-only]
                    [--body-limit BYTES] [--request-timeout MS] [--rate-limit PER_MINUTE]
                    [--max-connections N] [--max-connections-per-client N] [--prediction-workers N]
                    [--discard-log-after POSITION] [--log-level LEVEL] [--training-iterations N] [--seed N]
                    [--store sqlite|postgres://...] [--advertise-url URL]
environment: PORT, HOST, GRACE_TOKEN, GRACE_READ_TOKEN, GRACE_ALLOWED_HOSTS, GRACE_DATA_DIR, GRACE_MODEL,
             GRACE_STORE, GRACE_ADVERTISE_URL`;

const switchNames = ['insecure', 'read-only', 'public-reads'];
const flagNames = [
  'port',
  'host',
  'token',
  'read-token',
  'allowed-hosts',
  'data-dir',
  'model',
  'body-limit',
  'request-timeout',
  'rate-limit',
  'max-connections',
  'max-connections-per-client',
  'prediction-workers',
  'discard-log-after',
  'log-level',
  'training-iterations',
  'seed',
  'store',
  'advertise-url',
];

/**
 * Reads flags and environment variables. Refuses to start with mutations enabled and no token unless
 * `--insecure` is given (an edit endpoint open to anyone would let anyone rewrite the model), a token shorter
 * than 16 bytes likewise, and a non-loopback bind without `--allowed-hosts` (DNS rebinding).
 */
export function parseServerConfig(
  argv: readonly string[],
  environment: Readonly<Record<string, string | undefined>>,
): ServerConfig {
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    if (switchNames.includes(argument.slice(2)) && argument.startsWith('--')) {
      switches.add(argument.slice(2));
      continue;
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argument);
    if (match === null) throw new ConfigError(`unexpected argument ${argument}\n${usage}`);
    const name = match[1] as string;
    if (!flagNames.includes(name)) throw new ConfigError(`unknown flag --${name}\n${usage}`);
    const value = match[2] ?? argv[++index];
    if (value === undefined) throw new ConfigError(`--${name} needs a value\n${usage}`);
    flags.set(name, value);
  }
  const text = (flag: string, variable?: string): string | undefined =>
    flags.get(flag) ?? (variable === undefined ? undefined : environment[variable]);
  const integer = (flag: string, variable: string | undefined, fallback: number, minimum: number): number => {
    const value = text(flag, variable);
    if (value === undefined || value === '') return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < minimum) {
      throw new ConfigError(
        `--${flag}${variable === undefined ? '' : ` / ${variable}`} must be an integer >= ${minimum}, got ${value}`,
      );
    }
    return parsed;
  };
  const optionalInteger = (flag: string, minimum: number): number | undefined =>
    text(flag) === undefined ? undefined : integer(flag, undefined, 0, minimum);
  const port = integer('port', 'PORT', 8080, 0);
  if (port > 65535) throw new ConfigError(`--port / PORT must be at most 65535, got ${port}`);
  const host = text('host', 'HOST') || '127.0.0.1';
  const insecure = switches.has('insecure');
  const config: ServerConfig = {
    port,
    host,
    token: checkedToken(text('token', 'GRACE_TOKEN') || undefined, '--token / GRACE_TOKEN', insecure),
    readToken: checkedToken(
      text('read-token', 'GRACE_READ_TOKEN') || undefined,
      '--read-token / GRACE_READ_TOKEN',
      insecure,
    ),
    publicReads: switches.has('public-reads'),
    allowedHosts: allowedHosts(text('allowed-hosts', 'GRACE_ALLOWED_HOSTS'), host),
    dataDirectory: resolve(text('data-dir', 'GRACE_DATA_DIR') || './data'),
    model: text('model', 'GRACE_MODEL') || defaultServedModelName,
    insecure,
    readOnly: switches.has('read-only'),
    bodyLimit: integer('body-limit', undefined, 1024 * 1024, 1024),
    requestTimeout: integer('request-timeout', undefined, 10_000, 100),
    rateLimit: integer('rate-limit', undefined, 6000, 0),
    maximumConnections: integer('max-connections', undefined, 768, 1),
    maximumConnectionsPerClient: integer('max-connections-per-client', undefined, 128, 1),
    predictionWorkers: optionalInteger('prediction-workers', 1),
    discardLogAfter: optionalInteger('discard-log-after', 0),
    logLevel: text('log-level') ?? 'info',
    trainingIterations: optionalInteger('training-iterations', 1),
    seed: integer('seed', undefined, 7, 0),
    store: storeOf(text('store', 'GRACE_STORE')),
    advertiseUrl: text('advertise-url', 'GRACE_ADVERTISE_URL') || undefined,
  };
  if (config.store.kind === 'postgres' && config.discardLogAfter !== undefined) {
    throw new ConfigError(
      '--discard-log-after works on the SQLite log only; on PostgreSQL, back up the database and delete the ' +
        'entries after the position from grace_edit_log and grace_checkpoints (and set grace_logs.last_position)',
    );
  }
  if (!config.readOnly && config.token === undefined && !config.insecure) {
    throw new ConfigError(
      'refusing to start: edits are enabled and no token is set. Set GRACE_TOKEN (or --token), ' +
        'or pass --read-only, or --insecure to accept edits from anyone who can reach the server',
    );
  }
  return config;
}

function storeOf(value: string | undefined): ServerConfig['store'] {
  if (value === undefined || value === '' || value === 'sqlite') return { kind: 'sqlite' };
  if (/^postgres(ql)?:\/\//.test(value)) return { kind: 'postgres', url: value };
  throw new ConfigError(
    `--store / GRACE_STORE must be sqlite or a postgres:// URL, got ${maskPassword(value)}`,
  );
}

/** A connection URL with its password replaced, for banners and errors. */
export function maskPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

function checkedToken(token: string | undefined, name: string, insecure: boolean): string | undefined {
  if (token !== undefined && Buffer.byteLength(token) < minimumTokenBytes && !insecure) {
    throw new ConfigError(
      `refusing to start: ${name} is shorter than ${minimumTokenBytes} bytes (try \`openssl rand -hex 24\`), ` +
        'or pass --insecure',
    );
  }
  return token;
}

/**
 * The `Host` names answered: the list given (`*` for any); by default, on a loopback bind, the loopback
 * names; a non-loopback bind must name them.
 */
function allowedHosts(list: string | undefined, host: string): readonly string[] | 'any' {
  if (list === '*') return 'any';
  if (list !== undefined && list !== '') {
    return list.split(',').map((name) => name.trim().toLowerCase());
  }
  if (isLoopbackHost(host)) return loopbackHostNames;
  throw new ConfigError(
    `refusing to start: bound to ${host}, not loopback, and no --allowed-hosts / GRACE_ALLOWED_HOSTS ` +
      '(the host names clients use, comma-separated; `*` answers any, which DNS rebinding can abuse)',
  );
}

/** The start-up banner: every setting, the tokens masked. */
export function describeServerConfig(config: ServerConfig): string[] {
  return [
    `model          ${config.model}`,
    `host           ${config.host} (answers ${config.allowedHosts === 'any' ? 'any Host' : config.allowedHosts.join(', ')})`,
    `port           ${config.port}`,
    `data directory ${config.dataDirectory}`,
    `token          ${maskToken(config.token)}`,
    `read token     ${maskToken(config.readToken)}`,
    `reads          ${config.publicReads ? 'PUBLIC (--public-reads)' : 'need a token'}`,
    `mutations      ${config.readOnly ? 'disabled (--read-only)' : config.insecure && config.token === undefined ? 'ENABLED WITHOUT A TOKEN (--insecure)' : 'need the bearer token'}`,
    `body limit     ${config.bodyLimit} bytes; request timeout ${config.requestTimeout} ms`,
    `rate limit     ${config.rateLimit === 0 ? 'none' : `${config.rateLimit} requests per minute per client`}`,
    `connections    ${config.maximumConnections} at most, ${config.maximumConnectionsPerClient} per client`,
    `edit log       ${config.store.kind === 'sqlite' ? 'SQLite, in the data directory' : `PostgreSQL ${maskPassword(config.store.url)} (replicated; one writer by lease)`}`,
    `training       ${config.trainingIterations === undefined ? "the model's default" : `${config.trainingIterations}`} Adam iterations per edit`,
  ];
}
