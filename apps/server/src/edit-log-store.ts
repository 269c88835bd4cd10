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
  /** The client's `Idempotency-Key` of the request that made this edit, so a retry is answered, not redone. */
  readonly idempotencyKey?: string;
  /** Whether the edited model gave the label right after training (what the first answer said). */
  readonly fixed?: boolean;
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

/** A logged edit without its vectors: what the edit history and idempotent answers need. */
export type LoggedEditSummary = Omit<LoggedEdit, 'query' | 'value'>;

/** A log entry without vectors, for reading the whole history cheaply at start-up. */
export type EditLogSummary =
  | Exclude<EditLogEntry, { kind: 'edit' }>
  | {
      readonly kind: 'edit';
      readonly position: number;
      readonly time: string;
      readonly edit: LoggedEditSummary;
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

/**
 * The codebook as it stood after a log position, so a start-up replays only the entries after it. A cache of
 * the log, never the truth: a damaged checkpoint is skipped and an older one (or the whole log) used instead.
 */
export interface StoredCheckpoint {
  readonly position: number;
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

/** Whether the store can take writes; `reason` says why not, in words an operator can act on. */
export interface StoreHealth {
  readonly healthy: boolean;
  readonly reason: string | null;
  /** Milliseconds the oldest unfinished write has been waiting (0 when none). */
  readonly writeWaitingMilliseconds: number;
}

/**
 * Where the edit log lives. The single-machine server uses {@link SqliteEditLogStore}; scaling out means a
 * PostgreSQL implementation of this same interface that replicas follow (README, "Scale-out").
 *
 * Contract: `append` is atomic (all entries or none) and durable when its promise resolves; entries are read
 * back in position order. A store that has lost its file or failed a write says so in `health()` and refuses
 * every later write with a {@link StoreUnavailableError}, so nothing is acknowledged that a restart would lose.
 */
export interface EditLogStore {
  /** Claims the store for a model; refuses a store written for another model or layer. */
  open(identity: EditLogIdentity): Promise<void>;
  /** The highest position used so far, 0 for an empty log. */
  lastPosition(): Promise<number>;
  append(entries: readonly EditLogEntry[]): Promise<void>;
  /** Every entry after `afterPosition` (default: all), in order. */
  read(afterPosition?: number): Promise<EditLogEntry[]>;
  /** Every entry without its vectors, in order (the whole history, cheaply). */
  readSummaries(): Promise<EditLogSummary[]>;
  saveSnapshot(snapshot: StoredSnapshot): Promise<void>;
  loadSnapshot(id: string): Promise<StoredSnapshot | undefined>;
  listSnapshots(): Promise<Omit<StoredSnapshot, 'codebook'>[]>;
  /** Keeps a checkpoint (and drops all but the newest few). */
  saveCheckpoint(checkpoint: StoredCheckpoint): Promise<void>;
  /** Stored checkpoints, newest first. */
  checkpoints(): Promise<StoredCheckpoint[]>;
  /** Deletes every entry after `position` and every checkpoint past it (the documented recovery). */
  truncateAfter(position: number): Promise<void>;
  health(): StoreHealth;
  close(): Promise<void>;
}

/** The store cannot take writes now (file gone or replaced, a write failed, the disk stuck): answer 503. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
