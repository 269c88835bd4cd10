import type { GraceBackend } from './backend.js';
import type { Codebook } from './codebook.js';
import type { GrowableRows } from './growable-rows.js';
import type { RowMirror } from './row-mirror.js';
import { hostRowStorageProvider, type RowStorageProvider } from './row-storage.js';
import type { Tensor } from './tensor.js';

/** The codebook's tensors as one backend holds them. */
export interface DeviceCodebookTensors {
  /** `[N, Dk]`. */
  readonly keys: Tensor<'float32'>;
  /** `[N]`. */
  readonly radii: Tensor<'float32'>;
  /** `[N, Dv]`. */
  readonly values: Tensor<'float32'>;
}

/** One of the codebook's row stores and the backend mirror that follows it. */
class MirroredRows {
  private store: GrowableRows | null = null;
  private revision = 0;

  constructor(
    readonly mirror: RowMirror,
    private readonly backend: GraceBackend,
  ) {}

  /**
   * Copies to the mirror only the rows written since the last call (everything after a rollback). Rows in
   * JavaScript's heap or in this backend's own storage are handed over as they are (the mirror may compute on
   * them); rows in another backend's memory, which that backend may move at any of its calls, as a copy.
   */
  follow(store: GrowableRows): void {
    const written = this.store === store ? store.rowsWrittenSince(this.revision) : null;
    const shared = store.provider === hostRowStorageProvider || store.provider === this.backend;
    this.mirror.sync(shared ? store.view() : store.view().slice(), written ?? 'all');
    this.store = store;
    this.revision = store.revision;
  }
}

/**
 * A backend-side copy of a codebook, brought up to date when the codebook's version moved. Inference reads it
 * at every prediction while edits are rare; an edit appends a key or changes a radius or a value, and only
 * those rows travel to the backend (O(Dk + Dv) per edit through the backend's {@link RowMirror}s), so an edit
 * at 100,000 keys costs the device what it costs at none.
 *
 * A backend that can hold row storage (`GraceBackend.allocateRowStorage`) gets the codebook's rows moved into
 * its memory for as long as this copy lives (`Codebook.holdRowsIn`), and its mirrors serve them as they are:
 * one copy for host and backend. `dispose` moves them back to JavaScript's heap (when no other copy on that
 * backend still holds them), so the codebook outlives every backend copy of it.
 */
export class DeviceCodebook {
  private mirrors: { keys: MirroredRows; values: MirroredRows; radii: MirroredRows } | null = null;
  private syncedVersion = -1;
  private releaseRows: (() => void) | null = null;

  constructor(
    private readonly backend: GraceBackend,
    private readonly codebook: Codebook,
  ) {}

  /** The current tensors; valid until the next call of `current` or `dispose`. Do not dispose them. */
  current(): DeviceCodebookTensors {
    const mirrors = this.mirrors ?? this.createMirrors();
    if (this.syncedVersion !== this.codebook.version) {
      const stores = this.codebook.rowStores();
      mirrors.keys.follow(stores.keys);
      mirrors.values.follow(stores.values);
      mirrors.radii.follow(stores.radii);
      this.syncedVersion = this.codebook.version;
    }
    return {
      keys: mirrors.keys.mirror.tensor(),
      radii: mirrors.radii.mirror.tensor(),
      values: mirrors.values.mirror.tensor(),
    };
  }

  /** Bytes the backend holds for this copy, spare capacity included (where it reads the host's arrays, only what it keeps beside them). */
  get backendBytes(): number {
    if (this.mirrors === null) return 0;
    const { keys, values, radii } = this.mirrors;
    return keys.mirror.backendBytes + values.mirror.backendBytes + radii.mirror.backendBytes;
  }

  dispose(): void {
    if (this.mirrors === null) return;
    this.mirrors.keys.mirror.dispose();
    this.mirrors.values.mirror.dispose();
    this.mirrors.radii.mirror.dispose();
    this.mirrors = null;
    this.syncedVersion = -1;
    this.releaseRows?.();
    this.releaseRows = null;
  }

  private createMirrors(): { keys: MirroredRows; values: MirroredRows; radii: MirroredRows } {
    const { keyDimension, valueDimension } = this.codebook;
    const created: RowMirror[] = [];
    try {
      for (const rowShape of [[keyDimension], [valueDimension], []]) {
        created.push(this.backend.createRowMirror(rowShape));
      }
      if (this.backend.allocateRowStorage !== undefined) {
        this.releaseRows = this.codebook.holdRowsIn(this.backend as RowStorageProvider);
      }
    } catch (error) {
      for (const mirror of created) mirror.dispose();
      throw error;
    }
    const [keys, values, radii] = created as [RowMirror, RowMirror, RowMirror];
    this.mirrors = {
      keys: new MirroredRows(keys, this.backend),
      values: new MirroredRows(values, this.backend),
      radii: new MirroredRows(radii, this.backend),
    };
    return this.mirrors;
  }
}
