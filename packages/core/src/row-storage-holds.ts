import { hostRowStorageProvider, type RowStorageProvider } from './row-storage.js';

/**
 * Counted holds of a codebook's rows by one {@link RowStorageProvider} at a time: the rows move into the
 * provider's memory at its first hold and back to JavaScript's heap when its last hold is released. A hold by
 * another provider while one holds them changes nothing (and its release neither).
 */
export class RowStorageHolds {
  private holder: RowStorageProvider = hostRowStorageProvider;
  private count = 0;

  /** `move`: moves every row store of the codebook into a provider's memory. */
  constructor(private readonly move: (provider: RowStorageProvider) => void) {}

  /** Where the rows live now. */
  get provider(): RowStorageProvider {
    return this.holder;
  }

  /** Holds the rows in `provider`'s memory until the returned release is called (idempotent). */
  hold(provider: RowStorageProvider): () => void {
    if (this.count > 0 && provider !== this.holder) return () => undefined;
    if (this.count === 0) {
      this.move(provider);
      this.holder = provider;
    }
    this.count++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.count--;
      if (this.count === 0) {
        this.holder = hostRowStorageProvider;
        this.move(hostRowStorageProvider);
      }
    };
  }
}
