import type { EditOperation } from '@grace/core';
import type { ServedLabel } from './served-model.js';

/**
 * The result of one accepted edit, as the log keeps it: the codebook delta (query, trained value, label) that
 * replays the edit exactly without retraining, plus what an audit wants (operation, key, loss, the input).
 */
export interface LoggedEdit {
  readonly editId: string;
  readonly label: ServedLabel;
  /** `[Dk]` float32, exactly as the codebook stored it. */
  readonly query: Float32Array;
  /** `[Dv]` float32: the value training produced. */
  readonly value: Float32Array;
  readonly operation: EditOperation;
  readonly keyIndex: number;
  readonly loss: readonly number[];
  readonly inputDigest?: string;
  /** The JSON input the client sent, for the edit history; never used by replay. */
  readonly input: unknown;
}

/**
 * One entry of the edit log, in the order the codebook saw it. `position` is unique and increasing, and
 * names edits (`edit-<position>`) so an id is never reused, also after a restore.
 */
export type EditLogEntry =
  | { readonly kind: 'edit'; readonly position: number; readonly time: string; readonly edit: LoggedEdit }
  | { readonly kind: 'rollback'; readonly position: number; readonly time: string; readonly editId: string }
  | {
      readonly kind: 'restore';
      readonly position: number;
      readonly time: string;
      readonly snapshotId: string;
    };

/** A codebook file kept by the store, so that a restore can be logged (and replayed) by its id. */
export interface StoredSnapshot {
  readonly id: string;
  readonly time: string;
  /** The last log position the snapshot includes. */
  readonly logPosition: number;
  /** `encodeCodebook` bytes. */
  readonly codebook: Uint8Array;
}

/** What a log was written for: a log is never replayed onto another model or layer. */
export interface EditLogIdentity {
  readonly model: string;
  readonly layerId: string;
  readonly keyDimension: number;
  readonly valueDimension: number;
}

/**
 * Where the edit log lives. The single-machine server uses {@link SqliteEditLogStore}; scaling out means a
 * PostgreSQL implementation of this same interface that replicas follow (README, "Scale-out"). Every method
 * is asynchronous for that reason, although SQLite answers synchronously.
 *
 * Contract: `append` is atomic (all entries or none) and durable when its promise resolves; entries are read
 * back in position order.
 */
export interface EditLogStore {
  /** Claims the store for a model; refuses a store written for another model or layer. */
  open(identity: EditLogIdentity): Promise<void>;
  /** The highest position used so far, 0 for an empty log. */
  lastPosition(): Promise<number>;
  append(entries: readonly EditLogEntry[]): Promise<void>;
  /** Every entry after `afterPosition` (default: all), in order. */
  read(afterPosition?: number): Promise<EditLogEntry[]>;
  saveSnapshot(snapshot: StoredSnapshot): Promise<void>;
  loadSnapshot(id: string): Promise<StoredSnapshot | undefined>;
  listSnapshots(): Promise<Omit<StoredSnapshot, 'codebook'>[]>;
  close(): Promise<void>;
}
