import { open, rename, rm } from 'node:fs/promises';

/**
 * Writes a file atomically: the bytes go to a temporary file beside the target, are flushed to disk, then
 * renamed over it, so a crash mid-save leaves the previous file intact rather than a torn one.
 */
export async function writeFileAtomically(path: string, bytes: Uint8Array): Promise<void> {
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
