import type { EditLabel } from './labels.js';

/**
 * What an edit did to the codebook (DESIGN section 2):
 * - `ADD`: a new key, radius eps_init (far from every key, or the codebook was empty);
 * - `SPLIT`: a new key inside the reach of a key with another label; the balls are separated (at distance 0
 *   the older key is superseded in place instead, see {@link EditPlan.supersededKey});
 * - `EXPAND`: the nearest key has the same label and its ball grows to cover the query on every backend;
 * - `RETRAIN`: the query is already inside a ball of the same label; only that key's value is retrained.
 */
export type EditOperation = 'ADD' | 'SPLIT' | 'EXPAND' | 'RETRAIN';

/**
 * The decision for one edit, computed before anything changes. `keyIndex` is the key whose value is trained
 * next: the new key after ADD or SPLIT, the nearest key after EXPAND or RETRAIN.
 */
export interface EditPlan {
  readonly operation: EditOperation;
  readonly keyIndex: number;
  /** The nearest key before the edit, or -1 for an empty codebook. */
  readonly nearestIndex: number;
  /** Euclidean distance to that key, or null for an empty codebook. */
  readonly distance: number | null;
  /**
   * Set on a SPLIT at distance 0 (the same query edited again with another label): the older key, which this
   * edit superseded in place (same index and position, the new label and value), so the newest edit wins at
   * that query without leaving a key behind that could never fire. Rolling this edit back gives the older one
   * back. Absent otherwise.
   */
  readonly supersededKey?: number;
}

/**
 * One edit as it is kept forever: enough to audit it (id, time, input digest, label, operation, loss curve)
 * and to replay it (query and trained value), which is how an edit is rolled back exactly.
 */
export interface EditRecord extends EditPlan {
  /** Unique within a codebook; defaults to `edit-<sequence>`. */
  readonly id: string;
  /** Position in the order edits were made; never reused, also after rollbacks. */
  readonly sequence: number;
  /** ISO 8601 time the edit was committed. */
  readonly time: string;
  readonly label: EditLabel;
  /** A caller-chosen digest of the edited input (e.g. a SHA-256 of the text), for audits. */
  readonly inputDigest?: string;
  /** Training loss per iteration, as reported by whoever trained the value. */
  readonly loss: readonly number[];
  /** The query `[Dk]`, as stored in float32. */
  readonly query: Float32Array;
  /** The value `[Dv]` this edit's training produced. */
  readonly value: Float32Array;
}
