import { open, readFile, rename, rm } from 'node:fs/promises';
import type { Codebook } from '../codebook.js';
import { type CodebookFileExpectations, decodeCodebook, encodeCodebook } from '../codebook-file.js';

/**
 * Writes a codebook file atomically: the bytes go to a temporary file beside the target, are flushed to
 * disk, then renamed over it, so a crash mid-save leaves the previous file intact rather than a torn one.
 */
export async function saveCodebook(codebook: Codebook, path: string): Promise<void> {
  const bytes = encodeCodebook(codebook);
  const temporaryPath = `${path}.${process.pid}.${Date.now()}.tmp`;
  const handle = await open(temporaryPath, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporaryPath, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporaryPath, path);
}

/** Reads and fully validates a codebook file (see `decodeCodebook` for the error codes). */
export async function loadCodebook(path: string, expectations?: CodebookFileExpectations): Promise<Codebook> {
  return decodeCodebook(new Uint8Array(await readFile(path)), expectations);
}
