import { decodeCodebook, encodeCodebook } from '@grace/core';
import { serveWorkerRequests } from './worker-server.js';

/**
 * A worker thread for whole-codebook work that would hold the event loop: an exact rollback re-plays every
 * remaining edit (hundreds of milliseconds at thousands of keys). It takes a codebook file and answers one.
 */
serveWorkerRequests({
  rollback: (bytes: Uint8Array, editId: string) => {
    const codebook = decodeCodebook(bytes);
    codebook.rollback(editId);
    return encodeCodebook(codebook);
  },
});
