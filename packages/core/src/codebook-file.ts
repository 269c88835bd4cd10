import { Codebook } from './codebook.js';
import type { ResolvedCodebookOptions } from './codebook-options.js';
import { resolveCodebookOptions } from './codebook-options.js';
import { crc32 } from './crc32.js';
import type { EditOperation, EditRecord } from './edit-record.js';
import { GraceError, type GraceErrorCode, isGraceError } from './errors.js';
import { firstNonFinite } from './float32.js';
import { type EditLabel, validateLabel } from './labels.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  float32LittleEndianBytes,
  type NamedFloat32Tensor,
} from './safetensors.js';

/**
 * The codebook file: safetensors layout (keys, values, radii, and each edit's query and trained value as
 * float32 tensors) with a JSON manifest in the header metadata (format version, options, labels, edit
 * records) and a CRC-32 over manifest and data. Unlike the reference implementation, which loses its
 * codebook on save, the file holds everything needed to keep editing and to roll back any edit.
 */

/** Bumped on any change a reader of an older version could misread. */
export const codebookFormatVersion = 1;

const manifestKey = 'grace.manifest';
const checksumKey = 'grace.checksum';
const formatKey = 'format';
const formatName = 'grace-codebook';

/** What a loader expects of the file, so that a codebook is not loaded onto the wrong layer. */
export interface CodebookFileExpectations {
  readonly keyDimension?: number;
  readonly valueDimension?: number;
  readonly layerId?: string;
}

/** The JSON manifest stored in the file. */
interface CodebookManifest {
  readonly formatVersion: number;
  readonly dtype: 'float32';
  readonly options: ResolvedCodebookOptions;
  readonly keyCount: number;
  readonly labels: readonly EditLabel[];
  readonly nextSequence: number;
  readonly records: readonly ManifestRecord[];
}

/** An edit record without its query and value, which live in the tensors `edit_queries` and `edit_values`. */
type ManifestRecord = Omit<EditRecord, 'query' | 'value'>;

/** Serialises a codebook. The bytes decode to an identical codebook (see {@link decodeCodebook}). */
export function encodeCodebook(codebook: Codebook): Uint8Array {
  const { keyDimension, valueDimension } = codebook.options;
  const records = codebook.records;
  const manifest: CodebookManifest = {
    formatVersion: codebookFormatVersion,
    dtype: 'float32',
    options: codebook.options,
    keyCount: codebook.size,
    labels: codebook.snapshot().labels,
    nextSequence: codebook.nextEditSequence,
    records: records.map(({ query: _query, value: _value, ...rest }) => rest),
  };
  const tensors: NamedFloat32Tensor[] = [
    { name: 'keys', shape: [codebook.size, keyDimension], data: codebook.keysView() },
    { name: 'values', shape: [codebook.size, valueDimension], data: codebook.valuesView() },
    { name: 'radii', shape: [codebook.size], data: codebook.radiiView() },
    {
      name: 'edit_queries',
      shape: [records.length, keyDimension],
      data: concatenate(records.map((record) => record.query)),
    },
    {
      name: 'edit_values',
      shape: [records.length, valueDimension],
      data: concatenate(records.map((record) => record.value)),
    },
  ];
  const manifestText = JSON.stringify(manifest);
  const dataBytes = concatenateBytes(tensors.map((tensor) => float32LittleEndianBytes(tensor.data)));
  const checksum = crc32(new TextEncoder().encode(manifestText), dataBytes);
  return encodeSafetensors(tensors, {
    [formatKey]: formatName,
    [manifestKey]: manifestText,
    [checksumKey]: checksum.toString(16).padStart(8, '0'),
  });
}

/**
 * Reads a codebook file, validating everything before building anything, so a bad file never yields a
 * half-loaded codebook. Each kind of damage has its own code: `FILE_TRUNCATED`, `FILE_HEADER_INVALID`,
 * `FILE_VERSION_UNSUPPORTED`, `FILE_CHECKSUM_MISMATCH`, `FILE_DIMS_MISMATCH`, `FILE_NON_FINITE`,
 * `FILE_CONTENT_INVALID`.
 */
export function decodeCodebook(bytes: Uint8Array, expectations: CodebookFileExpectations = {}): Codebook {
  const { metadata, tensors, dataBytes } = decodeSafetensors(bytes);
  if (metadata[formatKey] !== formatName) fail('FILE_HEADER_INVALID', `not a ${formatName} file`);
  const manifestText = metadata[manifestKey];
  const checksum = metadata[checksumKey];
  if (manifestText === undefined || checksum === undefined)
    fail('FILE_HEADER_INVALID', 'manifest or checksum missing');
  const manifest = parseManifest(manifestText);
  const expected = crc32(new TextEncoder().encode(manifestText), dataBytes).toString(16).padStart(8, '0');
  if (checksum !== expected) {
    fail('FILE_CHECKSUM_MISMATCH', `checksum ${checksum} does not match the content (${expected})`, {
      checksum,
      expected,
    });
  }
  const options = validateOptions(manifest.options);
  checkExpectations(options, expectations);
  const { keyDimension, valueDimension } = options;
  const keyCount = naturalNumber(manifest.keyCount, 'keyCount');
  const recordCount = Array.isArray(manifest.records)
    ? manifest.records.length
    : fail('FILE_HEADER_INVALID', 'records is not an array');
  const keys = tensor(tensors, 'keys', [keyCount, keyDimension]);
  const values = tensor(tensors, 'values', [keyCount, valueDimension]);
  const radii = tensor(tensors, 'radii', [keyCount]);
  const queries = tensor(tensors, 'edit_queries', [recordCount, keyDimension]);
  const editValues = tensor(tensors, 'edit_values', [recordCount, valueDimension]);
  if (tensors.size !== 5) fail('FILE_HEADER_INVALID', `expected 5 tensors, found ${tensors.size}`);
  for (const [name, data] of Object.entries({
    keys,
    values,
    radii,
    edit_queries: queries,
    edit_values: editValues,
  })) {
    const bad = firstNonFinite(data);
    if (bad >= 0) fail('FILE_NON_FINITE', `${name}[${bad}] is ${data[bad]}`, { tensor: name, index: bad });
  }
  if (radii.some((radius) => radius < 0)) fail('FILE_CONTENT_INVALID', 'a radius is negative');
  const labels = validateLabels(manifest.labels, keyCount);
  const records = manifest.records.map((record, index) =>
    validateRecord(record, index, keyCount, {
      query: queries.slice(index * keyDimension, (index + 1) * keyDimension),
      value: editValues.slice(index * valueDimension, (index + 1) * valueDimension),
    }),
  );
  const ids = new Set(records.map((record) => record.id));
  if (ids.size !== records.length) fail('FILE_CONTENT_INVALID', 'edit ids are not unique');
  const lastSequence = records.reduce((largest, record) => Math.max(largest, record.sequence), 0);
  const nextSequence = naturalNumber(manifest.nextSequence, 'nextSequence');
  if (nextSequence <= lastSequence)
    fail('FILE_CONTENT_INVALID', 'nextSequence is not after every recorded edit');
  return Codebook.restore(options, { keys, values, radii, labels }, records, nextSequence);
}

function fail(code: GraceErrorCode, message: string, details: Record<string, unknown> = {}): never {
  throw new GraceError(code, message, details);
}

function parseManifest(text: string): CodebookManifest {
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw new GraceError('FILE_HEADER_INVALID', 'manifest is not valid JSON', {}, { cause: error });
  }
  if (manifest === null || typeof manifest !== 'object')
    fail('FILE_HEADER_INVALID', 'manifest is not an object');
  const { formatVersion } = manifest as { formatVersion?: unknown };
  if (formatVersion !== codebookFormatVersion) {
    fail(
      'FILE_VERSION_UNSUPPORTED',
      `format version ${String(formatVersion)} is not supported (this library reads ${codebookFormatVersion})`,
      {
        formatVersion,
      },
    );
  }
  if ((manifest as { dtype?: unknown }).dtype !== 'float32')
    fail('FILE_HEADER_INVALID', 'dtype must be float32');
  return manifest as CodebookManifest;
}

function validateOptions(options: unknown): ResolvedCodebookOptions {
  try {
    if (options === null || typeof options !== 'object') throw new Error('options missing');
    return resolveCodebookOptions(options as ResolvedCodebookOptions);
  } catch (error) {
    throw new GraceError(
      'FILE_HEADER_INVALID',
      `invalid codebook options in the manifest: ${String(error)}`,
      {},
      { cause: error },
    );
  }
}

function checkExpectations(options: ResolvedCodebookOptions, expectations: CodebookFileExpectations): void {
  for (const field of ['keyDimension', 'valueDimension', 'layerId'] as const) {
    const wanted = expectations[field];
    if (wanted !== undefined && wanted !== options[field]) {
      fail('FILE_DIMS_MISMATCH', `file has ${field} ${String(options[field])}, expected ${String(wanted)}`, {
        field,
        found: options[field],
        expected: wanted,
      });
    }
  }
}

function naturalNumber(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0)
    fail('FILE_HEADER_INVALID', `${name} is not a natural number`);
  return value as number;
}

function tensor(
  tensors: ReturnType<typeof decodeSafetensors>['tensors'],
  name: string,
  shape: readonly number[],
): Float32Array {
  const found = tensors.get(name);
  if (found === undefined) fail('FILE_HEADER_INVALID', `tensor ${name} is missing`);
  const matches =
    found.shape.length === shape.length && found.shape.every((dimension, axis) => dimension === shape[axis]);
  if (!matches) {
    fail(
      'FILE_DIMS_MISMATCH',
      `tensor ${name} is [${found.shape.join(',')}], the manifest says [${shape.join(',')}]`,
      {
        tensor: name,
        found: found.shape,
        expected: shape,
      },
    );
  }
  return found.data;
}

function validateLabels(labels: unknown, keyCount: number): EditLabel[] {
  if (!Array.isArray(labels) || labels.length !== keyCount) {
    fail('FILE_DIMS_MISMATCH', `expected ${keyCount} labels`, {
      labels: Array.isArray(labels) ? labels.length : labels,
    });
  }
  return labels.map((label) => contentCheck(() => validateLabel(label), label));
}

function contentCheck<T>(check: () => void, value: T): T {
  try {
    check();
    return value;
  } catch (error) {
    if (isGraceError(error))
      throw new GraceError('FILE_CONTENT_INVALID', error.message, error.details, { cause: error });
    throw error;
  }
}

const operations: readonly EditOperation[] = ['ADD', 'SPLIT', 'EXPAND', 'RETRAIN'];

function validateRecord(
  record: ManifestRecord,
  position: number,
  keyCount: number,
  tensors: { query: Float32Array; value: Float32Array },
): EditRecord {
  const bad = (why: string): never =>
    fail('FILE_CONTENT_INVALID', `edit record ${position}: ${why}`, { position });
  if (record === null || typeof record !== 'object') bad('not an object');
  if (typeof record.id !== 'string' || record.id.length === 0) bad('id');
  if (!Number.isSafeInteger(record.sequence) || record.sequence < 1) bad('sequence');
  if (typeof record.time !== 'string' || Number.isNaN(Date.parse(record.time))) bad('time');
  if (!operations.includes(record.operation)) bad('operation');
  if (!Number.isSafeInteger(record.keyIndex) || record.keyIndex < 0 || record.keyIndex > keyCount)
    bad('keyIndex');
  if (!Number.isSafeInteger(record.nearestIndex) || record.nearestIndex < -1) bad('nearestIndex');
  if (record.distance !== null && !(typeof record.distance === 'number' && Number.isFinite(record.distance)))
    bad('distance');
  if (
    record.supersededKey !== undefined &&
    !(
      Number.isSafeInteger(record.supersededKey) &&
      record.supersededKey >= 0 &&
      record.supersededKey < keyCount
    )
  )
    bad('supersededKey');
  if (
    !Array.isArray(record.loss) ||
    record.loss.some((loss) => typeof loss !== 'number' || !Number.isFinite(loss))
  )
    bad('loss');
  if (record.inputDigest !== undefined && typeof record.inputDigest !== 'string') bad('inputDigest');
  contentCheck(() => validateLabel(record.label), record.label);
  return { ...record, ...tensors };
}

function concatenate(rows: readonly Float32Array[]): Float32Array {
  const result = new Float32Array(rows.reduce((total, row) => total + row.length, 0));
  let offset = 0;
  for (const row of rows) {
    result.set(row, offset);
    offset += row.length;
  }
  return result;
}

function concatenateBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const result = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    result.set(chunk, offset);
    offset += chunk.length;
  }
  return result;
}
