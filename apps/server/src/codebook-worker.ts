import { setPriority } from 'node:os';
import { decodeCodebook, encodeCodebook } from '@grace/core';
import { serveWorkerRequests } from './worker-server.js';

// Background work: on Linux the nice value is per thread, so this thread yields the cores to the prediction
// workers and the event loop whenever they have work (elsewhere this may apply to the whole process, so only
// Linux lowers it).
if (process.platform === 'linux') setPriority(19);

/**
 * A worker thread for whole-codebook work that would hold the event loop: an exact rollback re-plays every
 * remaining edit (hundreds of milliseconds at thousands of keys). It takes a codebook file and answers one,
 * at the lowest scheduling priority.
 */
serveWorkerRequests({
  rollback: (bytes: Uint8Array, editId: string) => {
    const codebook = decodeCodebook(bytes);
    codebook.rollback(editId);
    return encodeCodebook(codebook);
  },
});
