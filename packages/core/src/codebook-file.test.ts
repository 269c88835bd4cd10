import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Codebook } from './codebook.js';
import { decodeCodebook, encodeCodebook } from './codebook-file.js';
import { crc32 } from './crc32.js';
import { type GraceErrorCode, isGraceError } from './errors.js';
import { loadCodebook, saveCodebook } from './node/index.js';
import { SeededRandom } from './random.js';
import { encodeSafetensors } from './safetensors.js';

function editedCodebook(): Codebook {
  const codebook = new Codebook({
    keyDimension: 4,
    valueDimension: 3,
    epsInit: 0.8,
    layerId: 'dense1',
    seed: 3,
  });
  const random = new SeededRandom(11);
  for (let index = 0; index < 25; index++) {
    const query = Array.from({ length: 4 }, () => random.next() * 2);
    const labels = ['fin', 'est', [1, 2, 3], 7] as const;
    codebook.applyEdit(
      { query, label: labels[index % 4] as never, inputDigest: `digest-${index}` },
      { loss: [1 / (index + 1), 0.5 / (index + 1)] },
    );
  }
  codebook.rollback('edit-4');
  return codebook;
}

function expectFileError(bytes: Uint8Array, code: GraceErrorCode, expectations = {}): void {
  let thrown: unknown;
  try {
    decodeCodebook(bytes, expectations);
  } catch (error) {
    thrown = error;
  }
  expect(isGraceError(thrown), `expected ${code}, got ${String(thrown)}`).toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
}

/** Rewrites the header JSON of a file and recomputes its length prefix. */
function rewriteHeader(bytes: Uint8Array, edit: (header: Record<string, unknown>) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  edit(header);
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const result = new Uint8Array(8 + headerBytes.length + (bytes.length - 8 - headerLength));
  new DataView(result.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  result.set(headerBytes, 8);
  result.set(bytes.subarray(8 + headerLength), 8 + headerBytes.length);
  return result;
}

/** Rewrites the manifest and keeps the checksum valid, to reach the checks behind the checksum. */
function rewriteManifest(bytes: Uint8Array, edit: (manifest: Record<string, unknown>) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const dataBytes = bytes.subarray(8 + Number(view.getBigUint64(0, true)));
  return rewriteHeader(bytes, (header) => {
    const metadata = header.__metadata__ as Record<string, string>;
    const manifest = JSON.parse(metadata['grace.manifest'] as string);
    edit(manifest);
    const text = JSON.stringify(manifest);
    metadata['grace.manifest'] = text;
    metadata['grace.checksum'] = crc32(new TextEncoder().encode(text), dataBytes)
      .toString(16)
      .padStart(8, '0');
  });
}

describe('codebook file format', () => {
  it('save then load is exact: contents, options, records, and further edits', () => {
    const original = editedCodebook();
    const loaded = decodeCodebook(encodeCodebook(original));
    expect(loaded.snapshot()).toEqual(original.snapshot());
    expect(loaded.options).toEqual(original.options);
    expect(loaded.records).toEqual(original.records);
    expect(loaded.nextEditSequence).toBe(original.nextEditSequence);
    // Both continue identically: the next edit and a rollback after loading.
    const request = { query: [0.5, 0.5, 0.5, 0.5], label: 'fin' };
    expect(loaded.applyEdit(request).operation).toBe(original.applyEdit(request).operation);
    loaded.rollback('edit-2');
    original.rollback('edit-2');
    expect(loaded.snapshot()).toEqual(original.snapshot());
  });

  it('round-trips an empty codebook', () => {
    const empty = new Codebook({ keyDimension: 5, valueDimension: 2 });
    const loaded = decodeCodebook(encodeCodebook(empty));
    expect(loaded.size).toBe(0);
    expect(loaded.records).toHaveLength(0);
  });

  it('is a valid safetensors file: 8-byte aligned data, F32 tensors, string metadata', () => {
    const bytes = encodeCodebook(editedCodebook());
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(Object.keys(header).sort()).toEqual([
      '__metadata__',
      'edit_queries',
      'edit_values',
      'keys',
      'radii',
      'values',
    ]);
    expect(header.keys).toMatchObject({ dtype: 'F32', shape: [expect.any(Number), 4] });
    expect(header.__metadata__.format).toBe('grace-codebook');
  });

  it('refuses a truncated file', () => {
    const bytes = encodeCodebook(editedCodebook());
    expectFileError(bytes.subarray(0, 5), 'FILE_TRUNCATED');
    expectFileError(bytes.subarray(0, 40), 'FILE_TRUNCATED');
    expectFileError(bytes.subarray(0, bytes.length - 4), 'FILE_TRUNCATED');
  });

  it('refuses a tampered header', () => {
    const bytes = encodeCodebook(editedCodebook());
    const brokenJson = bytes.slice();
    brokenJson[9] = 0x7b; // a second '{' at the start of the JSON
    expectFileError(brokenJson, 'FILE_HEADER_INVALID');
    const shiftedOffsets = rewriteHeader(bytes, (header) => {
      (header.radii as { data_offsets: number[] }).data_offsets[0] += 4;
    });
    expectFileError(shiftedOffsets, 'FILE_HEADER_INVALID');
    const otherDtype = rewriteHeader(bytes, (header) => {
      (header.keys as { dtype: string }).dtype = 'F64';
    });
    expectFileError(otherDtype, 'FILE_HEADER_INVALID');
    const otherEpsilon = rewriteHeader(bytes, (header) => {
      const metadata = header.__metadata__ as Record<string, string>;
      metadata['grace.manifest'] = (metadata['grace.manifest'] as string).replace(
        '"epsInit":0.8',
        '"epsInit":2',
      );
    });
    expectFileError(otherEpsilon, 'FILE_CHECKSUM_MISMATCH');
  });

  it('refuses flipped data bytes through the checksum', () => {
    const bytes = encodeCodebook(editedCodebook());
    const flipped = bytes.slice();
    flipped[bytes.length - 10] = (flipped[bytes.length - 10] as number) ^ 0x01;
    expectFileError(flipped, 'FILE_CHECKSUM_MISMATCH');
  });

  it('refuses wrong dims, in the file itself and against what the model expects', () => {
    const bytes = encodeCodebook(editedCodebook());
    expectFileError(bytes, 'FILE_DIMS_MISMATCH', { keyDimension: 8 });
    expectFileError(bytes, 'FILE_DIMS_MISMATCH', { valueDimension: 4 });
    expectFileError(bytes, 'FILE_DIMS_MISMATCH', { layerId: 'dense2' });
    const inconsistent = rewriteManifest(bytes, (manifest) => {
      manifest.keyCount = (manifest.keyCount as number) + 1;
    });
    expectFileError(inconsistent, 'FILE_DIMS_MISMATCH');
  });

  it('refuses NaN values', () => {
    const codebook = Codebook.restore(
      { keyDimension: 2, valueDimension: 2 },
      {
        keys: new Float32Array([0, 0]),
        values: new Float32Array([1, Number.NaN]),
        radii: new Float32Array([1]),
        labels: ['a'],
      },
      [],
      1,
    );
    expectFileError(encodeCodebook(codebook), 'FILE_NON_FINITE');
  });

  it('refuses an unknown version', () => {
    const bytes = encodeCodebook(editedCodebook());
    expectFileError(
      rewriteManifest(bytes, (manifest) => {
        manifest.formatVersion = 2;
      }),
      'FILE_VERSION_UNSUPPORTED',
    );
  });

  it('refuses impossible content such as duplicate edit ids or negative radii', () => {
    const bytes = encodeCodebook(editedCodebook());
    expectFileError(
      rewriteManifest(bytes, (manifest) => {
        const records = manifest.records as Array<{ id: string }>;
        (records[1] as { id: string }).id = (records[0] as { id: string }).id;
      }),
      'FILE_CONTENT_INVALID',
    );
    const negative = Codebook.restore(
      { keyDimension: 1, valueDimension: 1 },
      {
        keys: new Float32Array([0]),
        values: new Float32Array([1]),
        radii: new Float32Array([-1]),
        labels: ['a'],
      },
      [],
      1,
    );
    expectFileError(encodeCodebook(negative), 'FILE_CONTENT_INVALID');
  });

  it('refuses a safetensors file that is not a codebook', () => {
    const foreign = encodeSafetensors([{ name: 'weight', shape: [2], data: new Float32Array([1, 2]) }], {});
    expectFileError(foreign, 'FILE_HEADER_INVALID');
  });

  it('saves atomically to disk and loads back', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'grace-codebook-'));
    const path = join(directory, 'codebook.grace');
    const original = editedCodebook();
    await saveCodebook(original, path);
    const loaded = await loadCodebook(path, { layerId: 'dense1' });
    expect(loaded.snapshot()).toEqual(original.snapshot());
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, 100));
    await expect(loadCodebook(path)).rejects.toMatchObject({ code: 'FILE_TRUNCATED' });
  });
});
