import type { UseLiteModel } from './load-use-lite-model.js';

/**
 * Remembers the encoder's pooled states by text. The transformer is frozen, so a text's pooled state never
 * changes, while the lifelong protocol asks for the same texts again and again (every checkpoint re-reads the
 * upstream, stream and holdout sets): each text is embedded once per process.
 */
export interface PooledEmbeddingCache {
  readonly width: number;
  /** Texts cached so far. */
  readonly size: number;
  /** `[B, width]` row-major; uncached texts are embedded in batches of `batchSize`. */
  pool(texts: readonly string[]): Promise<Float32Array>;
  /** Embeds every uncached text ahead of use, reporting texts done. */
  prime(texts: readonly string[], onProgress?: (done: number, total: number) => void): Promise<void>;
  /** Cached states, e.g. to save them to a file. */
  entries(): IterableIterator<[string, Float32Array]>;
  /** Adds states computed earlier (e.g. read from a file); rows of the wrong width are ignored. */
  add(text: string, pooled: Float32Array): void;
}

export function createPooledEmbeddingCache(
  model: Pick<UseLiteModel, 'pool' | 'width'>,
  options: { readonly batchSize?: number } = {},
): PooledEmbeddingCache {
  const batchSize = options.batchSize ?? 32;
  const { width } = model;
  const cache = new Map<string, Float32Array>();
  const prime = async (
    texts: readonly string[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> => {
    // Sorted by length so that each batch pads its rows to similar token counts: the transformer's cost grows
    // with rows × the longest row.
    const missing = [...new Set(texts.filter((text) => !cache.has(text)))].sort(
      (left, right) => left.length - right.length,
    );
    for (let start = 0; start < missing.length; start += batchSize) {
      const batch = missing.slice(start, start + batchSize);
      const pooled = await model.pool(batch);
      batch.forEach((text, row) => {
        cache.set(text, pooled.slice(row * width, (row + 1) * width));
      });
      onProgress?.(Math.min(start + batchSize, missing.length), missing.length);
    }
  };
  return {
    width,
    get size() {
      return cache.size;
    },
    prime,
    async pool(texts) {
      await prime(texts);
      const rows = new Float32Array(texts.length * width);
      texts.forEach((text, row) => {
        rows.set(cache.get(text) as Float32Array, row * width);
      });
      return rows;
    },
    entries: () => cache.entries(),
    add(text, pooled) {
      if (pooled.length === width) cache.set(text, Float32Array.from(pooled));
    },
  };
}
