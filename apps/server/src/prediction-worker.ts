import { workerData } from 'node:worker_threads';
import { createCpuBackend } from '@grace/backend-cpu';
import { decodeCodebook, GraceEditor } from '@grace/core';
import type { PredictionWorkerData } from './prediction-pool.js';
import { servedModelFactories } from './served-models.js';
import { serveWorkerRequests } from './worker-server.js';

/**
 * A worker thread that answers predictions: it builds the same served model as the main thread (same name,
 * same seed, so the same weights) and holds the last codebook the pool sent it, so model work never runs on
 * the event loop that accepts requests.
 */
const { model: modelName, seed } = workerData as PredictionWorkerData;
const factory = servedModelFactories[modelName];
if (factory === undefined) throw new Error(`unknown model ${modelName}`);
const backend = createCpuBackend();
const servedModel = await factory({ backend, seed });
let editor: GraceEditor<unknown> | undefined;

serveWorkerRequests({
  ready: () => true,
  load: (bytes: Uint8Array) => {
    editor?.dispose();
    editor = new GraceEditor(servedModel.model, {
      ...servedModel.editorOptions,
      backend,
      codebook: decodeCodebook(bytes),
    });
  },
  predict: async (inputs: readonly unknown[]) => {
    if (editor === undefined) throw new Error('no codebook loaded');
    const modelInputs = inputs.map((json, index) => servedModel.toModelInput(json, `/inputs/${index}`));
    const { labels, keyIndices } = await editor.predictWithDetails(modelInputs);
    return { labels, keyIndices: Array.from(keyIndices) };
  },
});
