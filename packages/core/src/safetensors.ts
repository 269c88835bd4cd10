import { GraceError } from './errors.js';
import { shapeSize } from './tensor.js';

/**
 * The safetensors layout (an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and byte range, then the raw little-endian data), restricted to float32 tensors. Codebook files use
 * it so that their keys and values open in any safetensors reader, e.g. Python's `safetensors.safe_open`.
 */

/** One float32 tensor to write or that was read. */
export interface NamedFloat32Tensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A decoded file: string metadata and the tensors in file order. */
export interface SafetensorsContents {
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, NamedFloat32Tensor>;
  /** The raw data section, for checksums. */
  readonly dataBytes: Uint8Array;
}

const headerAlignment = 8;
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes tensors and string metadata in safetensors layout. */
export function encodeSafetensors(
  tensors: readonly NamedFloat32Tensor[],
  metadata: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const tensor of tensors) {
    const byteLength = tensor.data.length * 4;
    header[tensor.name] = { dtype: 'F32', shape: tensor.shape, data_offsets: [offset, offset + byteLength] };
    offset += byteLength;
  }
  let headerText = JSON.stringify(header);
  const encoder = new TextEncoder();
  // The format pads the header with spaces so that the data starts 8-byte aligned.
  const unpadded = encoder.encode(headerText).length;
  headerText += ' '.repeat((headerAlignment - ((8 + unpadded) % headerAlignment)) % headerAlignment);
  const headerBytes = encoder.encode(headerText);
  const bytes = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  bytes.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const tensor of tensors) {
    bytes.set(float32LittleEndianBytes(tensor.data), position);
    position += tensor.data.length * 4;
  }
  return bytes;
}

/**
 * Reads a safetensors file of float32 tensors. Refuses a short file with `FILE_TRUNCATED` and any
 * inconsistency of the header (bad JSON, another dtype, overlapping or gapped byte ranges, a shape that does
 * not match its byte range) with `FILE_HEADER_INVALID`.
 */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsContents {
  if (bytes.length < 8)
    throw new GraceError('FILE_TRUNCATED', `file has ${bytes.length} bytes, not even a header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw new GraceError(
      'FILE_TRUNCATED',
      `header claims ${headerLength} bytes but only ${bytes.length - 8} follow`,
      {
        headerLength: Number(headerLength),
        fileLength: bytes.length,
      },
    );
  }
  const dataStart = 8 + Number(headerLength);
  const header = parseHeader(bytes.subarray(8, dataStart));
  const dataBytes = bytes.subarray(dataStart);
  const entries = Object.entries(header).filter(([name]) => name !== '__metadata__');
  const ranges = entries.map(([name, entry]) => ({ name, ...parseEntry(name, entry) }));
  ranges.sort((left, right) => left.begin - right.begin);
  let expectedBegin = 0;
  for (const range of ranges) {
    if (range.begin !== expectedBegin)
      invalid(`tensor ${range.name} does not start where the previous one ended`);
    expectedBegin = range.end;
  }
  if (expectedBegin > dataBytes.length) {
    throw new GraceError(
      'FILE_TRUNCATED',
      `data section has ${dataBytes.length} bytes, the header needs ${expectedBegin}`,
      {
        available: dataBytes.length,
        needed: expectedBegin,
      },
    );
  }
  if (expectedBegin < dataBytes.length)
    invalid(`${dataBytes.length - expectedBegin} bytes after the last tensor`);
  const tensors = new Map<string, NamedFloat32Tensor>();
  for (const range of ranges) {
    tensors.set(range.name, {
      name: range.name,
      shape: range.shape,
      data: readFloat32LittleEndian(dataBytes, range.begin, (range.end - range.begin) / 4),
    });
  }
  return { metadata: parseMetadata(header.__metadata__), tensors, dataBytes };
}

function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw new GraceError('FILE_HEADER_INVALID', message, details);
}

function parseHeader(headerBytes: Uint8Array): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (error) {
    throw new GraceError('FILE_HEADER_INVALID', 'header is not valid UTF-8 JSON', {}, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    invalid('header is not a JSON object');
  return parsed as Record<string, unknown>;
}

function parseEntry(name: string, entry: unknown): { shape: number[]; begin: number; end: number } {
  const record = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (record === null || typeof record !== 'object') invalid(`tensor ${name} has no description`);
  if (record.dtype !== 'F32')
    invalid(`tensor ${name} has dtype ${String(record.dtype)}, expected F32`, { name });
  const { shape, data_offsets: offsets } = record;
  const naturals = (value: unknown, length?: number): value is number[] =>
    Array.isArray(value) &&
    (length === undefined || value.length === length) &&
    value.every((item) => Number.isSafeInteger(item) && item >= 0);
  if (!naturals(shape)) invalid(`tensor ${name} has an invalid shape`, { name, shape });
  if (!naturals(offsets, 2) || (offsets[1] as number) < (offsets[0] as number)) {
    invalid(`tensor ${name} has invalid data_offsets`, { name, offsets });
  }
  const [begin, end] = offsets as [number, number];
  if (end - begin !== shapeSize(shape) * 4) {
    invalid(`tensor ${name} spans ${end - begin} bytes but its shape needs ${shapeSize(shape) * 4}`, {
      name,
      shape,
    });
  }
  return { shape, begin, end };
}

function parseMetadata(metadata: unknown): Record<string, string> {
  if (metadata === undefined) return {};
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
    invalid('__metadata__ is not an object');
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') invalid(`__metadata__.${key} is not a string`);
  }
  return metadata as Record<string, string>;
}

/** The little-endian bytes of float32 data, as safetensors and the codebook checksum define them. */
export function float32LittleEndianBytes(data: Float32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  for (let index = 0; index < data.length; index++) view.setFloat32(index * 4, data[index] as number, true);
  return bytes;
}

function readFloat32LittleEndian(source: Uint8Array, position: number, length: number): Float32Array {
  const result = new Float32Array(length);
  if (littleEndian) {
    new Uint8Array(result.buffer).set(source.subarray(position, position + length * 4));
    return result;
  }
  const view = new DataView(source.buffer, source.byteOffset);
  for (let index = 0; index < length; index++) result[index] = view.getFloat32(position + index * 4, true);
  return result;
}
