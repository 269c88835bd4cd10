import type { ResolvedCodebookOptions } from './codebook-options.js';
import { splitGap } from './codebook-options.js';
import { coveringRadius } from './distance-error-bound.js';
import type { DotProductEngine } from './dot-product-engine.js';
import type { EditPlan } from './edit-record.js';
import { type ExactNearest, exactSquaredDistance } from './exact-nearest-key.js';
import { GrowableRows } from './growable-rows.js';
import type { HostKeyIndex } from './host-key-index.js';
import { hostNearestKey } from './host-nearest-key.js';
import { type EditLabel, labelsEqual } from './labels.js';
import { RowNormCache } from './row-norm-cache.js';
import { hostRowStorageProvider, type RowStorageProvider } from './row-storage.js';

/** The nearest key of a query: exact float64 search over the stored float32 numbers, distance as float32. */
export interface NearestKey {
  /** -1 when the codebook is empty. */
  readonly index: number;
  /** +Infinity when the codebook is empty. */
  readonly distance: number;
}

/** What {@link CodebookState.applyPlan} changed, so that an aborted edit can be undone exactly. */
export interface AppliedChange {
  readonly appendedKey: boolean;
  /** An existing key whose radius (and, for moving_average, position) changed, or -1. */
  readonly changedIndex: number;
  readonly previousRadius: number;
  readonly previousKey: Float32Array | null;
  /** The label and value of a key that a conflicting edit at distance 0 superseded in place. */
  readonly previousLabel?: EditLabel;
  readonly previousValue?: Float32Array;
}

/**
 * The geometry of a codebook (keys, radii, labels, values) and the GRACE update rules, without the edit
 * history. Kept apart from {@link Codebook} so a rollback can replay the history into a fresh state and swap
 * it in only once the replay succeeded.
 */
export class CodebookState {
  readonly options: ResolvedCodebookOptions;
  readonly keys: GrowableRows;
  readonly values: GrowableRows;
  readonly radii: GrowableRows;
  readonly labels: EditLabel[] = [];
  /** The engine of the fast pre-select (see {@link nearest}); answers never depend on it. */
  dotProducts: DotProductEngine | undefined;
  /** The exact index {@link nearest} asks first (see `Codebook.useKeyIndex`); `null` searches without one. */
  private keyIndex: HostKeyIndex | null;
  private readonly keyNorms = new RowNormCache();
  /** The key store's revision the index last followed; -1 makes the next search recode every row. */
  private indexedRevision = -1;

  /**
   * `keyIndex`: the exact index {@link nearest} asks first (`null`: none); `provider`: where the keys, values and
   * radii are stored (see `Codebook.holdRowsIn`).
   */
  constructor(
    options: ResolvedCodebookOptions,
    keyIndex: HostKeyIndex | null = null,
    provider: RowStorageProvider = hostRowStorageProvider,
  ) {
    this.options = options;
    this.keyIndex = keyIndex;
    this.keys = new GrowableRows(options.keyDimension, undefined, provider);
    this.values = new GrowableRows(options.valueDimension, undefined, provider);
    this.radii = new GrowableRows(1, undefined, provider);
  }

  /** Moves keys, values and radii into `provider`'s memory; their contents and journals stay as they are. */
  moveRowsTo(provider: RowStorageProvider): void {
    this.keys.moveTo(provider);
    this.values.moveTo(provider);
    this.radii.moveTo(provider);
  }

  /** Frees the row stores' memory (a backend's, which no garbage collector frees). The state is unusable after. */
  dispose(): void {
    this.keys.dispose();
    this.values.dispose();
    this.radii.dispose();
  }

  get size(): number {
    return this.keys.rows;
  }

  radius(index: number): number {
    return this.radii.view()[index] as number;
  }

  /**
   * Exact nearest key (see `exactNearestAmong`); ties go to the lowest index, like every backend's. A float32
   * query (every edit's) is searched fast, with the brute-force answer bit for bit: by the key index (by
   * default the quantized key index, brought up to date with the rows written since its last search), else —
   * where it declines — by a norm-identity pre-select on {@link dotProducts} (or in float64) with cached key
   * norms and the exact recheck (`hostNearestKey`).
   */
  nearest(query: ArrayLike<number>): NearestKey {
    const width = this.options.keyDimension;
    const keys = this.keys.view();
    let bestIndex = -1;
    let bestSquared = Number.POSITIVE_INFINITY;
    const indexed = query instanceof Float32Array ? this.indexedNearest(query) : null;
    if (indexed !== null) {
      bestIndex = indexed.index;
      bestSquared = indexed.squaredDistance;
    } else if (query instanceof Float32Array) {
      const nearest = hostNearestKey({
        query,
        keys,
        keySquaredNorms: this.keyNorms.squaredNorms(this.keys),
        keyCount: this.size,
        width,
        ...(this.dotProducts === undefined ? {} : { engine: this.dotProducts }),
      });
      bestIndex = nearest.index;
      bestSquared = nearest.squaredDistance;
    } else {
      for (let row = 0; row < this.size; row++) {
        const squared = exactSquaredDistance(query, 0, keys, row * width, width);
        if (squared < bestSquared) {
          bestSquared = squared;
          bestIndex = row;
        }
      }
    }
    // Rounded to float32 like every backend's nearestKey, so a decision here agrees with what lookup fires on.
    return { index: bestIndex, distance: Math.fround(Math.sqrt(bestSquared)) };
  }

  /** Bytes the key index holds (0 without one). */
  get keyIndexBytes(): number {
    return this.keyIndex?.bytes ?? 0;
  }

  /** Replaces the index (it follows every row from its first search on). */
  setKeyIndex(keyIndex: HostKeyIndex | null): void {
    this.keyIndex = keyIndex;
    this.indexedRevision = -1;
  }

  /** The index's answer after it has followed the rows written since its last search, or null. */
  private indexedNearest(query: Float32Array): ExactNearest | null {
    const index = this.keyIndex;
    if (index === null) return null;
    const written = this.keys.rowsWrittenSince(this.indexedRevision);
    index.update(this.keys.view(), written ?? 'all');
    this.indexedRevision = this.keys.revision;
    return index.nearest(query, this.keys.view());
  }

  /**
   * The GRACE decision for a query and its label. Changes nothing. Two refinements keep the promise that the
   * query fires the key its edit trains, on every backend:
   * - a conflicting label at distance 0 (the very same query) supersedes the nearest key in place: a second
   *   key there could never fire, since ties go to the lower index;
   * - "inside the ball" means inside on every backend (`firesOnEveryBackend`): a same-label query in the
   *   thin band where float32 backends may disagree grows the radius (EXPAND) rather than relying on it.
   */
  plan(query: ArrayLike<number>, label: EditLabel): EditPlan {
    if (this.size === 0) return { operation: 'ADD', keyIndex: 0, nearestIndex: -1, distance: null };
    const { index, distance } = this.nearest(query);
    const radius = this.radius(index);
    if (distance > radius + this.options.epsInit) {
      return { operation: 'ADD', keyIndex: this.size, nearestIndex: index, distance };
    }
    if (!labelsEqual(label, this.labels[index] as EditLabel)) {
      return distance === 0
        ? { operation: 'SPLIT', keyIndex: index, nearestIndex: index, distance, supersededKey: index }
        : { operation: 'SPLIT', keyIndex: this.size, nearestIndex: index, distance };
    }
    if (coveringRadius(distance, this.options.keyDimension) > radius) {
      return { operation: 'EXPAND', keyIndex: index, nearestIndex: index, distance };
    }
    return { operation: 'RETRAIN', keyIndex: index, nearestIndex: index, distance };
  }

  /**
   * Carries out a plan made by {@link plan} on this very state. `newValue` is the starting value of a key that
   * the plan creates (ignored otherwise).
   */
  applyPlan(
    plan: EditPlan,
    query: ArrayLike<number>,
    label: EditLabel,
    newValue: ArrayLike<number>,
  ): AppliedChange {
    const { operation, nearestIndex } = plan;
    const distance = plan.distance ?? 0;
    if (plan.supersededKey !== undefined) return this.supersede(plan.supersededKey, label, newValue);
    if (operation === 'ADD' || operation === 'SPLIT') {
      const halfDistance = distance / 2;
      const radius = operation === 'ADD' ? this.options.epsInit : halfDistance;
      let change: AppliedChange = {
        appendedKey: true,
        changedIndex: -1,
        previousRadius: 0,
        previousKey: null,
      };
      if (operation === 'SPLIT' && this.options.splitPolicy === 'halve') {
        change = { ...change, changedIndex: nearestIndex, previousRadius: this.radius(nearestIndex) };
        // The reference keeps the balls 1e-5 apart; a near-duplicate query cannot make a radius negative.
        this.setRadius(nearestIndex, Math.max(0, Math.fround(halfDistance - splitGap)));
      }
      this.keys.append(query);
      this.values.append(newValue);
      this.radii.append([Math.fround(radius)]);
      this.labels.push(label);
      return change;
    }
    if (operation === 'EXPAND') {
      const change: AppliedChange = {
        appendedKey: false,
        changedIndex: nearestIndex,
        previousRadius: this.radius(nearestIndex),
        previousKey: this.options.expansion === 'moving_average' ? this.keys.row(nearestIndex).slice() : null,
      };
      if (this.options.expansion === 'moving_average') {
        // Through `write`, so that backend copies of the keys learn that this row moved.
        const key = this.keys.row(nearestIndex).slice();
        for (let column = 0; column < key.length; column++) {
          key[column] = ((key[column] as number) + (query[column] as number)) / 2;
        }
        this.keys.write(nearestIndex, key);
      }
      this.setRadius(nearestIndex, coveringRadius(distance, this.options.keyDimension));
      return change;
    }
    return { appendedKey: false, changedIndex: -1, previousRadius: 0, previousKey: null };
  }

  /** Reverses {@link applyPlan} exactly (the value of a retrained key is only written at commit). */
  undo(change: AppliedChange): void {
    if (change.appendedKey) {
      this.keys.removeLast();
      this.values.removeLast();
      this.radii.removeLast();
      this.labels.pop();
    }
    if (change.changedIndex >= 0) {
      this.setRadius(change.changedIndex, change.previousRadius);
      if (change.previousKey !== null) this.keys.write(change.changedIndex, change.previousKey);
      if (change.previousLabel !== undefined) this.labels[change.changedIndex] = change.previousLabel;
      if (change.previousValue !== undefined) this.values.write(change.changedIndex, change.previousValue);
    }
  }

  /**
   * A conflicting edit of the very query of key `index`: the key stays where it is and takes the new label and
   * value, so the newest edit wins there. Its radius is what a SPLIT at distance 0 gives the new key: 0 under
   * `halve` (the reference's new radius d/2; the old key's d/2 − 1e-5 would never fire), the old radius under
   * `keep`.
   */
  private supersede(index: number, label: EditLabel, newValue: ArrayLike<number>): AppliedChange {
    const change: AppliedChange = {
      appendedKey: false,
      changedIndex: index,
      previousRadius: this.radius(index),
      previousKey: null,
      previousLabel: this.labels[index] as EditLabel,
      previousValue: this.values.row(index).slice(),
    };
    if (this.options.splitPolicy === 'halve') this.setRadius(index, 0);
    this.labels[index] = label;
    this.values.write(index, newValue);
    return change;
  }

  private setRadius(index: number, radius: number): void {
    this.radii.write(index, [radius]);
  }
}
