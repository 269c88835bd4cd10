#!/usr/bin/env node
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { createServer } from './create-server.js';
import { GraceService } from './grace-service.js';
import { LogFollower } from './log-follower.js';
import { PostgresEditLogStore } from './postgres-edit-log-store.js';
import { PredictionPool } from './prediction-pool.js';
import { DamagedLogError } from './replay-edit-log.js';
import { servedModelFactories } from './served-models.js';
import { ConfigError, describeServerConfig, parseServerConfig } from './server-config.js';
import { SqliteEditLogStore } from './sqlite-edit-log-store.js';
import { WriterLease } from './writer-lease.js';

/**
 * `pnpm serve`: reads the configuration, builds the served model, replays the edit log (from its newest
 * checkpoint), starts the prediction workers, listens. Prints one `listening on <url>` line once the port is
 * bound (tests and scripts wait for it); request logs are JSON lines (pino) on standard output.
 */
async function main(): Promise<void> {
  const config = parseServerConfig(process.argv.slice(2), process.env);
  const factory = servedModelFactories[config.model];
  if (factory === undefined) {
    throw new ConfigError(
      `unknown model ${config.model}; known: ${Object.keys(servedModelFactories).join(', ')}`,
    );
  }
  for (const line of describeServerConfig(config)) console.log(line);
  const backend = createCpuBackend();
  const started = performance.now();
  const servedModel = await factory({ backend, seed: config.seed });
  const path = join(config.dataDirectory, `${servedModel.name}.edit-log.sqlite`);
  if (config.discardLogAfter !== undefined) await discardLogAfter(path, config.discardLogAfter);
  // On PostgreSQL every process is a replica that follows the log; the one holding the lease takes edits.
  const postgres = config.store.kind === 'postgres' ? new PostgresEditLogStore(config.store.url) : undefined;
  const lease = postgres === undefined ? undefined : new WriterLease({ store: postgres });
  const store = postgres ?? new SqliteEditLogStore(path);
  const replayStarted = performance.now();
  const service = await GraceService.open({
    servedModel,
    backend,
    store,
    ...(lease === undefined ? {} : { role: lease }),
    ...(config.trainingIterations === undefined ? {} : { trainingIterations: config.trainingIterations }),
  });
  const replayMilliseconds = performance.now() - replayStarted;
  const pool = new PredictionPool({
    model: config.model,
    seed: config.seed,
    ...(config.predictionWorkers === undefined ? {} : { workers: config.predictionWorkers }),
    published: () => service.published(),
  });
  service.attachPredictionPool(pool);
  await pool.ready();
  const where =
    store instanceof SqliteEditLogStore
      ? await describeSqliteLog(store)
      : `PostgreSQL log ${service.servedModel.name}`;
  console.log(
    `edit log       ${where}; position ${service.logPosition}, ${service.codebook.records.length} active edits, ` +
      `${service.codebook.size} keys`,
  );
  const follower =
    postgres === undefined
      ? undefined
      : new LogFollower({
          connectionString: postgres.connectionString,
          logName: postgres.logName,
          catchUp: () => service.catchUp(),
        });
  const { checkpointPosition, replayedEntries } = service.startup;
  console.log(
    `replayed       ${replayedEntries} log entries after ${checkpointPosition === null ? 'the start' : `the checkpoint at position ${checkpointPosition}`}` +
      ` in ${Math.round(replayMilliseconds)} ms (history read, newest checkpoint decoded, tail applied)`,
  );
  console.log(`predictions    ${pool.workerCount} worker thread(s)`);
  console.log(`ready in       ${Math.round(performance.now() - started)} ms`);
  const app = await createServer({
    service,
    token: config.token,
    readToken: config.readToken,
    publicReads: config.publicReads,
    readOnly: config.readOnly,
    allowedHosts: config.allowedHosts,
    bodyLimit: config.bodyLimit,
    requestTimeoutMilliseconds: config.requestTimeout,
    rateLimitPerMinute: config.rateLimit,
    maximumConnections: config.maximumConnections,
    maximumConnectionsPerClient: config.maximumConnectionsPerClient,
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
  });
  const address = await app.listen({ port: config.port, host: config.host });
  console.log(`listening on ${address}`);
  lease?.start(config.advertiseUrl ?? address, () => service.catchUp());
  const stop = async (): Promise<void> => {
    await app.close();
    await follower?.close();
    await lease?.close();
    await pool.close();
    await service.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

async function describeSqliteLog(store: SqliteEditLogStore): Promise<string> {
  const { journalMode, synchronous, lockingMode } = await store.pragmas();
  return (
    `${store.path} (journal ${journalMode}, synchronous ${synchronous === 2 ? 'FULL' : synchronous}, ` +
    `locking ${lockingMode})`
  );
}

/** The recovery flag: keeps a copy of the log, then drops every entry after `position`. */
async function discardLogAfter(path: string, position: number): Promise<void> {
  const copy = `${path}.before-discard-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  copyFileSync(path, copy);
  const store = new SqliteEditLogStore(path);
  const dropped = (await store.read(position)).length;
  await store.truncateAfter(position);
  await store.close();
  console.log(
    `recovery       dropped ${dropped} log entries after position ${position}; the old log is ${copy}`,
  );
}

// Start-up failures an operator can act on are one line, never a stack.
main().catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof DamagedLogError;
  const message = error instanceof Error ? error.message : String(error);
  console.error(known || /^the edit log /.test(message) ? `grace-server: ${message}` : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
