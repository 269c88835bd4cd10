import { readFile } from 'node:fs/promises';
import type { SequentialModel } from '../models/sequential-model.js';
import { decodeSequentialModel, encodeSequentialModel } from '../models/sequential-model-file.js';
import { writeFileAtomically } from './write-file-atomically.js';

/** Writes a sequential-model file (see `encodeSequentialModel`) atomically. */
export async function saveSequentialModel(model: SequentialModel, path: string): Promise<void> {
  await writeFileAtomically(path, encodeSequentialModel(model));
}

/** Reads a sequential-model file (see `decodeSequentialModel` for the error codes). */
export async function loadSequentialModel(path: string): Promise<SequentialModel> {
  return decodeSequentialModel(new Uint8Array(await readFile(path)));
}
