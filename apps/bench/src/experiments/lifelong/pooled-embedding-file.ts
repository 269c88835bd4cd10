import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PooledEmbeddingCache } from '@grace/models-use';

/**
 * Pooled sentence states saved between runs, because embedding thousands of e-mails with the transformer on
 * tfjs wasm takes minutes and never changes the result. Layout: a little-endian uint32 header length, a JSON
 * header `{ width, digests }` (SHA-256 of each text, 16 hex digits), then `[rows, width]` float32 rows.
 * Rows are looked up by the digest of the text, so a file never answers for a text it does not hold.
 */

/** A short digest of a text; the file is keyed by these, never by the text itself. */
export function textDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Adds the states held in `path` for `texts` to the cache; returns how many were found (0 if no file). */
export async function readPooledEmbeddingFile(
  path: string,
  cache: PooledEmbeddingCache,
  texts: readonly string[],
): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    return 0;
  }
  const headerLength = bytes.readUInt32LE(0);
  const header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8')) as {
    width: number;
    digests: string[];
  };
  if (header.width !== cache.width) return 0;
  const start = 4 + headerLength;
  const data = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length),
  );
  const rowOf = new Map(header.digests.map((digest, row) => [digest, row]));
  let found = 0;
  for (const text of texts) {
    const row = rowOf.get(textDigest(text));
    if (row === undefined) continue;
    cache.add(text, data.subarray(row * header.width, (row + 1) * header.width));
    found++;
  }
  return found;
}

/** Writes every state of the cache to `path` (atomically: a temporary file, then a rename). */
export async function writePooledEmbeddingFile(path: string, cache: PooledEmbeddingCache): Promise<void> {
  const entries = [...cache.entries()];
  const header = Buffer.from(
    JSON.stringify({ width: cache.width, digests: entries.map(([text]) => textDigest(text)) }),
    'utf8',
  );
  const data = new Float32Array(entries.length * cache.width);
  entries.forEach(([, pooled], row) => {
    data.set(pooled, row * cache.width);
  });
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length, 0);
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, Buffer.concat([length, header, Buffer.from(data.buffer)]));
  await rename(temporary, path);
}
