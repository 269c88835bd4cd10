// Decision this benchmark informs: what GRACE costs at inference on lande (a real language identifier, edited at
// dense1, 120-wide keys) with a codebook of 10,000 real keys, per search engine — the plain model and the edited
// one timed alternately in the same run, so the ratio is the overhead.

import { createCpuBackend } from '@grace/backend-cpu';
import { type GraceBackend, GraceEditor, SeededRandom } from '@grace/core';
import { landeEditableModel, loadLandeModel, loadUdhrSnippets, splitSnippetsByArticle } from '@grace/models';
import { createOnnxruntimeDotProducts } from '@grace/search-onnxruntime';
import { codebookOfKeys, timeOverhead } from './editor-overhead.js';
import { dense1Inputs, shuffled } from './lande-ball-tree-benchmark.js';
import type { TimingSummary } from './statistics.js';

/** What one run measures. */
export interface LandeOverheadConfig {
  readonly keyCounts: readonly number[];
  readonly batchSize: number;
  readonly runs: number;
  readonly warmups: number;
  /** eps_init of every key at dense1. */
  readonly radius: number;
  readonly seed: number;
}

export const defaultLandeOverheadConfig: LandeOverheadConfig = Object.freeze({
  keyCounts: [1_000, 10_000],
  batchSize: 32,
  runs: 20,
  warmups: 2,
  radius: 1,
  seed: 20231210,
});

/** The issue-level target: at 10,000 keys, at most +80% over the plain model. */
export const landeOverheadTarget = 0.8;

/** One engine and codebook size. */
export interface LandeOverheadRow {
  readonly engine: string;
  readonly keys: number;
  /** `GraceEditor.predict` with an empty codebook: lande itself, featurizing included. */
  readonly plain: TimingSummary;
  /** `GraceEditor.predict` with the codebook: prefix, exact lookup, suffix. */
  readonly edited: TimingSummary;
  readonly overhead: number;
}

/**
 * Keys are dense1 inputs of stream snippets (what a lifelong run adds), with random values and radius eps_init;
 * the batch is snippets of the other articles. Engines: the cpu backend (its pivot index on, the default), the
 * same without the pivot index (its exact loop over every key), and searching with onnxruntime's MLAS product
 * (exact recheck; pivot index on).
 */
export async function runLandeOverheadBenchmark(
  config: LandeOverheadConfig,
  log: (message: string) => void = () => {},
): Promise<LandeOverheadRow[]> {
  const lande = await loadLandeModel();
  const model = landeEditableModel(lande, 'dense1');
  const random = new SeededRandom(config.seed);
  const largest = Math.max(...config.keyCounts);
  const keyTexts = new Set<string>();
  const otherTexts: string[] = [];
  for (const words of [3, 2, 4]) {
    if (keyTexts.size >= largest) break;
    const split = splitSnippetsByArticle(await loadUdhrSnippets({ words }), config.seed);
    for (const snippet of split.stream) keyTexts.add(snippet.text);
    if (words === 3) otherTexts.push(...split.upstream.map((snippet) => snippet.text));
  }
  const keyPool = shuffled([...keyTexts], random).slice(0, largest);
  const batch = shuffled(otherTexts, random).slice(0, config.batchSize);
  const keyRows = await dense1Inputs(createCpuBackend(), keyPool);
  const engines: readonly { readonly name: string; readonly backend: GraceBackend }[] = [
    { name: 'cpu', backend: createCpuBackend() },
    { name: 'cpu, pivot index', backend: createCpuBackend({ pivotIndex: true }) },
    { name: 'cpu-ort', backend: createCpuBackend({ dotProducts: createOnnxruntimeDotProducts() }) },
  ];
  const rows: LandeOverheadRow[] = [];
  for (const keyCount of config.keyCounts) {
    const settings = { radius: config.radius, classes: 50, random };
    for (const { name, backend } of engines) {
      log(`lande: ${name}, ${keyCount} keys`);
      const plain = new GraceEditor(model, {
        backend,
        codebook: codebookOfKeys(model, keyRows, 0, settings),
      });
      const edited = new GraceEditor(model, {
        backend,
        codebook: codebookOfKeys(model, keyRows, keyCount, settings),
      });
      const timing = await timeOverhead(
        () => plain.predict(batch),
        () => edited.predict(batch),
        config,
      );
      plain.dispose();
      edited.dispose();
      rows.push({ engine: name, keys: keyCount, ...timing });
    }
  }
  return rows;
}
