import { resolve } from 'node:path';
import { maskToken } from './bearer-token.js';
import { defaultServedModelName } from './served-models.js';

/** Everything `pnpm serve` can be told, by flag or environment variable (flags win). */
export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  /** Bearer token of the mutating endpoints; undefined means none was given. */
  readonly token: string | undefined;
  readonly dataDirectory: string;
  readonly model: string;
  /** Serve without a token (explicitly unsafe). */
  readonly insecure: boolean;
  /** Predictions and inspection only; every mutating endpoint answers 403. */
  readonly readOnly: boolean;
  /** Largest request body accepted, in bytes. */
  readonly bodyLimit: number;
  /** Adam iterations per edit, overriding the model's default. */
  readonly trainingIterations: number | undefined;
  readonly seed: number;
}

/** A configuration the server must not start with; the message says which flag or variable to fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const usage = `usage: grace-server [--port N] [--host H] [--token T] [--data-dir D] [--model NAME]
                    [--insecure] [--read-only] [--body-limit BYTES] [--training-iterations N] [--seed N]
environment: PORT, HOST, GRACE_TOKEN, GRACE_DATA_DIR, GRACE_MODEL`;

/**
 * Reads flags and environment variables. Refuses to start with mutations enabled and no token unless
 * `--insecure` is given: an edit endpoint open to anyone on the network would let anyone rewrite the model.
 */
export function parseServerConfig(
  argv: readonly string[],
  environment: Readonly<Record<string, string | undefined>>,
): ServerConfig {
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    if (argument === '--insecure' || argument === '--read-only') {
      switches.add(argument.slice(2));
      continue;
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argument);
    if (match === null) throw new ConfigError(`unexpected argument ${argument}\n${usage}`);
    const name = match[1] as string;
    const value = match[2] ?? argv[++index];
    if (value === undefined) throw new ConfigError(`--${name} needs a value\n${usage}`);
    flags.set(name, value);
  }
  const known = ['port', 'host', 'token', 'data-dir', 'model', 'body-limit', 'training-iterations', 'seed'];
  for (const name of flags.keys()) {
    if (!known.includes(name)) throw new ConfigError(`unknown flag --${name}\n${usage}`);
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
  const token = text('token', 'GRACE_TOKEN') || undefined;
  const port = integer('port', 'PORT', 8080, 0);
  if (port > 65535) throw new ConfigError(`--port / PORT must be at most 65535, got ${port}`);
  const iterations = text('training-iterations');
  const config: ServerConfig = {
    port,
    host: text('host', 'HOST') || '127.0.0.1',
    token,
    dataDirectory: resolve(text('data-dir', 'GRACE_DATA_DIR') || './data'),
    model: text('model', 'GRACE_MODEL') || defaultServedModelName,
    insecure: switches.has('insecure'),
    readOnly: switches.has('read-only'),
    bodyLimit: integer('body-limit', undefined, 1024 * 1024, 1024),
    trainingIterations:
      iterations === undefined ? undefined : integer('training-iterations', undefined, 100, 1),
    seed: integer('seed', undefined, 7, 0),
  };
  if (!config.readOnly && config.token === undefined && !config.insecure) {
    throw new ConfigError(
      'refusing to start: edits are enabled and no token is set. Set GRACE_TOKEN (or --token), ' +
        'or pass --read-only, or --insecure to accept edits from anyone who can reach the server',
    );
  }
  return config;
}

/** The start-up banner: every setting, the token masked. */
export function describeServerConfig(config: ServerConfig): string[] {
  return [
    `model          ${config.model}`,
    `host           ${config.host}`,
    `port           ${config.port}`,
    `data directory ${config.dataDirectory}`,
    `token          ${maskToken(config.token)}`,
    `mutations      ${config.readOnly ? 'disabled (--read-only)' : config.insecure && config.token === undefined ? 'ENABLED WITHOUT A TOKEN (--insecure)' : 'need the bearer token'}`,
    `body limit     ${config.bodyLimit} bytes`,
    `training       ${config.trainingIterations === undefined ? "the model's default" : `${config.trainingIterations}`} Adam iterations per edit`,
  ];
}
