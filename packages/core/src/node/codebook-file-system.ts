import { readFile } from 'node:fs/promises';
import type { Codebook } from '../codebook.js';
import { type CodebookFileExpectations, decodeCodebook, encodeCodebook } from '../codebook-file.js';
import { writeFileAtomically } from './write-file-atomically.js';

/** Writes a codebook file atomically (a crash mid-save leaves the previous file intact, never a torn one). */
export async function saveCodebook(codebook: Codebook, path: string): Promise<void> {
  await writeFileAtomically(path, encodeCodebook(codebook));
}

/** Reads and fully validates a codebook file (see `decodeCodebook` for the error codes). */
export async function loadCodebook(path: string, expectations?: CodebookFileExpectations): Promise<Codebook> {
  return decodeCodebook(new Uint8Array(await readFile(path)), expectations);
}
