import {
  Codebook,
  type CodebookOptions,
  DeviceCodebook,
  type GraceBackend,
  SeededRandom,
  type Tensor,
} from '@grace/core';
import { KernelMismatchError } from './lookup-verification.js';
import { randomCodebook } from './random-codebook.js';
import { median, summarizeTimings, type TimingSummary } from './statistics.js';

/** The growth case's sizes: a codebook of `keys` keys against an empty one, `edits` timed appends each. */
export interface DeviceGrowthConfig {
  readonly keys: number;
  readonly dims: number;
  readonly batch: number;
  /** Timed appends per codebook, after one warm-up. */
  readonly edits: number;
  readonly seed: number;
}

/** An append's cost on the device at `keys` keys against at 0 (the empty codebook's first few keys). */
export interface DeviceGrowthRow {
  readonly keys: number;
  readonly dims: number;
  readonly batch: number;
  /** Host time of `DeviceCodebook.current()` after the append: the rows it queues for the device. */
  readonly syncMs: { readonly empty: TimingSummary; readonly large: TimingSummary };
  /** `current()`, then the next fused lookup over the whole codebook and its read-back. */
  readonly syncAndLookupMs: { readonly empty: TimingSummary; readonly large: TimingSummary };
  /** Median large / median empty of `syncAndLookupMs` (the edit target is ≤ 1.2). */
  readonly ratio: number;
}

/** One codebook of the case, its device copy and the layer output its lookups replace. */
interface GrowingCodebook {
  readonly codebook: Codebook;
  readonly device: DeviceCodebook;
  readonly sync: number[];
  readonly total: number[];
}

/**
 * Appends one key (an edit far from every key: one key, value and radius more) to an empty codebook and to
 * one of `config.keys` keys, alternately, and times the device update and the next lookup after each. The
 * append's own query is row 0 of that lookup, so the new key must fire there: proof that its rows reached the
 * device (a `KernelMismatchError` otherwise). The host's edit decision is not timed.
 */
export async function runDeviceGrowth(
  backend: GraceBackend,
  config: DeviceGrowthConfig,
): Promise<DeviceGrowthRow> {
  const options: CodebookOptions = {
    keyDimension: config.dims,
    valueDimension: config.dims,
    layerId: 'device-growth',
    epsInit: 1e-3,
  };
  const random = new SeededRandom(config.seed + 3);
  const layerOutput = backend.upload(random.floats(config.batch * config.dims, -1, 1), [
    config.batch,
    config.dims,
  ]);
  const books: GrowingCodebook[] = [
    new Codebook(options),
    randomCodebook(options, config.keys, config.seed),
  ].map((codebook) => ({ codebook, device: new DeviceCodebook(backend, codebook), sync: [], total: [] }));
  try {
    for (const book of books) book.device.current();
    for (let edit = 0; edit <= config.edits; edit++) {
      const query = random.floats(config.dims, -10, 10);
      const queries = new Float32Array(config.batch * config.dims);
      queries.set(query);
      queries.set(random.floats((config.batch - 1) * config.dims, -10, 10), config.dims);
      for (const book of books) {
        const timing = await appendAndLookup(backend, book, query, queries, layerOutput, config);
        if (edit > 0) {
          book.sync.push(timing.syncMs);
          book.total.push(timing.totalMs);
        }
      }
    }
  } finally {
    for (const book of books) book.device.dispose();
    backend.dispose(layerOutput);
  }
  const [empty, large] = books as [GrowingCodebook, GrowingCodebook];
  return {
    keys: config.keys,
    dims: config.dims,
    batch: config.batch,
    syncMs: { empty: summarizeTimings(empty.sync), large: summarizeTimings(large.sync) },
    syncAndLookupMs: { empty: summarizeTimings(empty.total), large: summarizeTimings(large.total) },
    ratio: median(large.total) / median(empty.total),
  };
}

async function appendAndLookup(
  backend: GraceBackend,
  book: GrowingCodebook,
  query: Float32Array,
  queries: Float32Array,
  layerOutput: Tensor<'float32'>,
  config: DeviceGrowthConfig,
): Promise<{ syncMs: number; totalMs: number }> {
  book.codebook.applyEdit({ query, label: 0 });
  const appended = book.codebook.size - 1;
  const queryTensor = backend.upload(queries, [config.batch, config.dims]);
  try {
    const started = performance.now();
    const tensors = book.device.current();
    const synced = performance.now();
    const result = backend.lookup({ queries: queryTensor, ...tensors, layerOutput, mode: 'all' });
    try {
      const [hitIndex] = await Promise.all([
        backend.download(result.hitIndex),
        backend.download(result.output),
      ]);
      const done = performance.now();
      if (hitIndex[0] !== appended) {
        throw new KernelMismatchError(
          `after appending key ${appended} at ${appended} keys, its own query hit ${hitIndex[0]}`,
        );
      }
      return { syncMs: synced - started, totalMs: done - started };
    } finally {
      backend.dispose(result.hitIndex);
      backend.dispose(result.output);
    }
  } finally {
    backend.dispose(queryTensor);
  }
}
