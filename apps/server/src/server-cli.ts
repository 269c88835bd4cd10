#!/usr/bin/env node
import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { createServer } from './create-server.js';
import { GraceService } from './grace-service.js';
import { servedModelFactories } from './served-models.js';
import { ConfigError, describeServerConfig, parseServerConfig } from './server-config.js';
import { SqliteEditLogStore } from './sqlite-edit-log-store.js';

/**
 * `pnpm serve`: reads the configuration, builds the served model, replays the edit log, listens. Prints one
 * `listening on <url>` line once the port is bound (tests and scripts wait for it).
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
  const store = new SqliteEditLogStore(join(config.dataDirectory, `${servedModel.name}.edit-log.sqlite`));
  const service = await GraceService.open({
    servedModel,
    backend,
    store,
    ...(config.trainingIterations === undefined ? {} : { trainingIterations: config.trainingIterations }),
  });
  const { journalMode, synchronous } = store.pragmas();
  console.log(
    `edit log       ${store.path} (journal ${journalMode}, synchronous ${synchronous === 2 ? 'FULL' : synchronous}); ` +
      `${service.codebook.records.length} active edits, ${service.codebook.size} keys replayed`,
  );
  console.log(`ready in       ${Math.round(performance.now() - started)} ms`);
  const app = await createServer({
    service,
    token: config.token,
    readOnly: config.readOnly,
    bodyLimit: config.bodyLimit,
  });
  const address = await app.listen({ port: config.port, host: config.host });
  console.log(`listening on ${address}`);
  const stop = async (): Promise<void> => {
    await app.close();
    await service.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
