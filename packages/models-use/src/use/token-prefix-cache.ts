import type { HostTensor, TfjsPrefixValues } from '@grace/backend-tfjs/models';
import { GraceError } from '@grace/core';

/** One text's prefix values: each tensor's row, tokens trimmed to the text's own length. */
interface CachedRow {
  readonly length: number;
  /** Per tensor name: `[length, ...]` for token tensors (rank ≥ 3 in the batch), else the row `[...]`. */
  readonly values: ReadonlyMap<string, Float32Array>;
}

/**
 * Remembers a frozen transformer's prefix outputs per text at token level (the edited layer's input and
 * output, the residual stream, the mask), so that the lifelong protocol, which reads the same texts at every
 * checkpoint, runs the transformer once per text. Batches are assembled again padded to their longest row,
 * with zeros after each row's end; the model's own mask keeps padding out of the pooling.
 */
export interface TokenPrefixCache {
  readonly size: number;
  /** The prefix values of a batch, padded to its longest text, with each row's length. */
  values(texts: readonly string[]): Promise<TfjsPrefixValues>;
  /** Runs the prefix on every uncached text ahead of use, reporting texts done. */
  prime(texts: readonly string[], onProgress?: (done: number, total: number) => void): Promise<void>;
}

/** Tensors with a token axis (rank ≥ 3: `[B, T, ...]`) are stored per token; the others per row. */
function isTokenTensor(shape: readonly number[]): boolean {
  return shape.length >= 3;
}

export function createTokenPrefixCache(
  runPrefix: (texts: readonly string[]) => Promise<TfjsPrefixValues>,
  options: { readonly batchSize?: number } = {},
): TokenPrefixCache {
  const batchSize = options.batchSize ?? 16;
  const cache = new Map<string, CachedRow>();
  const shapes = new Map<string, readonly number[]>();

  const store = (texts: readonly string[], prefix: TfjsPrefixValues): void => {
    const lengths = prefix.lengths;
    if (lengths === undefined)
      throw new GraceError('INVALID_ARGUMENT', 'the prefix gives no row lengths', {});
    texts.forEach((text, row) => {
      const length = lengths[row] as number;
      const values = new Map<string, Float32Array>();
      for (const [name, tensor] of prefix.values) {
        shapes.set(name, tensor.shape);
        const [, tokens = 1] = tensor.shape;
        const inner = tensor.shape.slice(2).reduce((product, size) => product * size, 1);
        const rowWidth = tensor.data.length / (tensor.shape[0] as number);
        values.set(
          name,
          isTokenTensor(tensor.shape)
            ? tensor.data.slice(row * tokens * inner, (row * tokens + length) * inner)
            : tensor.data.slice(row * rowWidth, (row + 1) * rowWidth),
        );
      }
      cache.set(text, { length, values });
    });
  };

  const prime = async (
    texts: readonly string[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> => {
    // Sorted by length, so each batch pads its rows to similar token counts.
    const missing = [...new Set(texts.filter((text) => !cache.has(text)))].sort(
      (left, right) => left.length - right.length,
    );
    for (let start = 0; start < missing.length; start += batchSize) {
      const batch = missing.slice(start, start + batchSize);
      store(batch, await runPrefix(batch));
      onProgress?.(Math.min(start + batchSize, missing.length), missing.length);
    }
  };

  return {
    get size() {
      return cache.size;
    },
    prime,
    async values(texts) {
      await prime(texts);
      const rows = texts.map((text) => cache.get(text) as CachedRow);
      const tokens = Math.max(...rows.map((row) => row.length));
      const values = new Map<string, HostTensor>();
      for (const [name, cachedShape] of shapes) {
        if (!isTokenTensor(cachedShape)) {
          const width = cachedShape.slice(1).reduce((product, size) => product * size, 1);
          const data = new Float32Array(rows.length * width);
          rows.forEach((row, index) => {
            data.set(row.values.get(name) as Float32Array, index * width);
          });
          values.set(name, { data, shape: [rows.length, ...cachedShape.slice(1)] });
          continue;
        }
        const inner = cachedShape.slice(2).reduce((product, size) => product * size, 1);
        const data = new Float32Array(rows.length * tokens * inner);
        rows.forEach((row, index) => {
          data.set(row.values.get(name) as Float32Array, index * tokens * inner);
        });
        values.set(name, { data, shape: [rows.length, tokens, ...cachedShape.slice(2)] });
      }
      return { values, lengths: rows.map((row) => row.length) };
    },
  };
}
