import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** A throw-away PostgreSQL cluster on 127.0.0.1, for the replication tests and benchmark. */
export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  readonly url: string;
  /** A new empty database in the cluster, by URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (`fast`: sessions are ended, committed data is kept) and starts it again. */
  restart(downMilliseconds?: number): Promise<void>;
  /** Stops the server and deletes the cluster. */
  destroy(): void;
}

/** The directory of Debian's PostgreSQL server binaries (`initdb`, `pg_ctl`), newest version first, or undefined. */
export function postgresBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((left, right) => Number(right) - Number(left));
  return versions.map((version) => join(root, version, 'bin')).find((bin) => existsSync(join(bin, 'initdb')));
}

/** Why a cluster cannot be started here (shown by skipped tests), or null. */
export function postgresUnavailableReason(): string | null {
  if (postgresBinaries() === undefined) {
    return 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; tools/ci/install-system-packages.sh installs it)';
  }
  if (process.getuid?.() === 0 && systemUser('postgres') === undefined) {
    return 'running as root and there is no `postgres` system user to run the cluster as (initdb refuses root)';
  }
  return null;
}

/**
 * Creates and starts a cluster in a temporary directory: trust authentication, listening on 127.0.0.1 only at
 * a free port, its Unix socket in the same directory. As root it runs as the `postgres` system user (initdb
 * refuses root); otherwise as the current user.
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = postgresBinaries();
  if (bin === undefined) throw new Error(postgresUnavailableReason() ?? 'PostgreSQL is not installed');
  const directory = mkdtempSync(join(tmpdir(), 'grace-postgres-'));
  const owner = process.getuid?.() === 0 ? systemUser('postgres') : undefined;
  if (owner !== undefined) chownSync(directory, owner.uid, owner.gid);
  const run = (program: string, args: readonly string[]): void => {
    const command =
      owner === undefined
        ? [join(bin, program), ...args]
        : ['runuser', '-u', 'postgres', '--', join(bin, program), ...args];
    execFileSync(command[0] as string, command.slice(1), { stdio: 'pipe', timeout: 60_000 });
  };
  const data = join(directory, 'data');
  const port = await freePort();
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${directory} -c max_connections=200`;
  const start = (): void =>
    run('pg_ctl', ['-D', data, '-l', join(directory, 'server.log'), '-w', '-o', options, 'start']);
  const stop = (mode: string): void => run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
  start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async restart(downMilliseconds = 0) {
      stop('fast');
      await new Promise((resolve) => setTimeout(resolve, downMilliseconds));
      start();
    },
    destroy() {
      try {
        stop('immediate');
      } catch {
        // Already stopped.
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function systemUser(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}
