import type { PivotKeyIndexOptions, ProjectionKeyTreeOptions } from '@grace/core';
import { type DotProductEngine, exactNearestFromDotProducts, rowSquaredNorms } from '@grace/core';
import type { CpuTensor } from '../cpu-tensor.js';
import { mirrorRowData } from '../mirror-row-data.js';
import { type NearestKeyRows, nearestKeyRows } from './nearest-key.js';

/** Options of the CPU backend's nearest-key search (`createCpuBackend({ dotProducts })`). */
export interface KeySearchOptions {
  /**
   * A fast matrix product (e.g. `createOnnxruntimeDotProducts()` from `@grace/search-onnxruntime`) that
   * pre-selects candidates by the norm identity; the chosen key and its distance are still exact, rechecked by
   * direct difference in float64. Without one, the backend's own exact loop searches.
   */
  readonly dotProducts?: DotProductEngine;
  /**
   * Below this many query-key pairs (`B·N`) the exact loop runs even when an engine is given, because an
   * engine's fixed cost per call outweighs the product there. Default 4,096; 0 always uses the engine.
   */
  readonly dotProductMinimumPairs?: number;
  /**
   * The pruned exact lookup, on by default: `lookup` over a codebook's keys (a row mirror's tensor) first asks a
   * pivot index (`PivotKeyIndex` from `@grace/core`, kept current edit by edit) which rows it can answer without
   * touching every key — a query no ball can hold defers after reading a few pivot distances per key in range,
   * a query sitting on a key is found next to it — and searches only the rest (with `dotProducts`, on the
   * engine). Answers are the same bit for bit; a row whose range holds more than half the keys (wide balls, or
   * keys the pivots cannot separate) goes to the search, so the index costs at most a few pivot distances per
   * query there. `false` searches every row; an object sets the index's options. `nearestKey` always searches
   * every key.
   */
  readonly pivotIndex?: boolean | PivotKeyIndexOptions;
  /**
   * The projection tree, on by default, asked before the pivot index: `lookup` over a codebook's keys walks a
   * k-d tree of each key's coordinates on a few principal directions of the keys (`ProjectionKeyTree` from
   * `@grace/core`, kept current edit by edit), which bounds every key's distance from below and sums exactly only
   * the keys the bound cannot rule out. It switches itself off where the keys do not lie near a low-dimensional
   * subspace (random keys) and gives up rows whose walk would read too many keys; those rows go to the pivot
   * index, then the search. Answers are the same bit for bit. `false` turns it off; an object sets its options.
   */
  readonly projectionTree?: boolean | ProjectionKeyTreeOptions;
}

/** The lookup indexes a cpu backend keeps beside each codebook's keys (null: that index is off). */
export interface LookupIndexOptions {
  readonly pivots: PivotKeyIndexOptions | null;
  readonly projection: ProjectionKeyTreeOptions | null;
}

/** Default of {@link KeySearchOptions.dotProductMinimumPairs}. */
export const defaultDotProductMinimumPairs = 4096;

/** The lookup index options a backend was made with ({@link KeySearchOptions.pivotIndex}, `projectionTree`). */
export function lookupIndexOptions(options: KeySearchOptions): LookupIndexOptions {
  return { pivots: settingOptions(options.pivotIndex), projection: settingOptions(options.projectionTree) };
}

/** An index setting (default on) as its options, or null when off. */
function settingOptions<Options extends object>(setting: boolean | Options | undefined): Options | null {
  if (setting === false) return null;
  return setting === true || setting === undefined ? ({} as Options) : setting;
}

/**
 * The exact nearest-key search shared by `nearestKey` and `lookup`: the backend's own exact loop, or an engine's
 * product followed by the exact recheck. Key squared norms are cached per key tensor (and its write revision),
 * as a BLAS search caches them, so a codebook that is searched again and again pays `N·D` once.
 */
export function createKeySearch(
  options: KeySearchOptions,
): (queries: Float32Array, keys: CpuTensor<'float32'>, batch: number, width: number) => NearestKeyRows {
  const engine = options.dotProducts;
  const minimumPairs = options.dotProductMinimumPairs ?? defaultDotProductMinimumPairs;
  const normCache = new WeakMap<CpuTensor<'float32'>, { revision: number; norms: Float64Array }>();
  const keyNorms = (keys: CpuTensor<'float32'>, keyCount: number, width: number): Float64Array => {
    // A codebook's keys come from a row mirror, which keeps their norms current edit by edit.
    const mirrored = mirrorRowData(keys);
    if (mirrored !== undefined) return mirrored.squaredNorms();
    const cached = normCache.get(keys);
    if (cached !== undefined && cached.revision === keys.revision) return cached.norms;
    const norms = rowSquaredNorms(keys.data, keyCount, width);
    normCache.set(keys, { revision: keys.revision, norms });
    return norms;
  };
  return (queries, keys, batch, width) => {
    const keyCount = keys.shape[0] as number;
    const keyData = keys.data;
    if (engine === undefined || keyCount === 0 || batch * keyCount < minimumPairs) {
      return nearestKeyRows(queries, keyData, batch, keyCount, width);
    }
    return exactNearestFromDotProducts({
      queries,
      keys: keyData,
      dotProducts: engine.dotProducts(queries, keyData, batch, keyCount, width),
      querySquaredNorms: rowSquaredNorms(queries, batch, width),
      keySquaredNorms: keyNorms(keys, keyCount, width),
      batch,
      keyCount,
      width,
      unitRoundoff: engine.unitRoundoff,
    });
  };
}
