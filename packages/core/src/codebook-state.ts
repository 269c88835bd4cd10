import type { ResolvedCodebookOptions } from './codebook-options.js';
import { splitGap } from './codebook-options.js';
import type { EditPlan } from './edit-record.js';
import { roundUpToFloat32 } from './float32.js';
import { GrowableRows } from './growable-rows.js';
import { type EditLabel, labelsEqual } from './labels.js';

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

  constructor(options: ResolvedCodebookOptions) {
    this.options = options;
    this.keys = new GrowableRows(options.keyDimension);
    this.values = new GrowableRows(options.valueDimension);
    this.radii = new GrowableRows(1);
  }

  get size(): number {
    return this.keys.rows;
  }

  radius(index: number): number {
    return this.radii.view()[index] as number;
  }

  /** Exact nearest key; ties go to the lowest index, like every backend's `nearestKey`. */
  nearest(query: ArrayLike<number>): NearestKey {
    const width = this.options.keyDimension;
    const keys = this.keys.view();
    let bestIndex = -1;
    let bestSquared = Number.POSITIVE_INFINITY;
    for (let row = 0; row < this.size; row++) {
      const offset = row * width;
      let squared = 0;
      for (let column = 0; column < width; column++) {
        const difference = (query[column] as number) - (keys[offset + column] as number);
        squared += difference * difference;
      }
      if (squared < bestSquared) {
        bestSquared = squared;
        bestIndex = row;
      }
    }
    // Rounded to float32 like every backend's nearestKey, so a decision here agrees with what lookup fires on.
    return { index: bestIndex, distance: Math.fround(Math.sqrt(bestSquared)) };
  }

  /** The GRACE decision of DESIGN section 2 for a query and its label. Changes nothing. */
  plan(query: ArrayLike<number>, label: EditLabel): EditPlan {
    if (this.size === 0) return { operation: 'ADD', keyIndex: 0, nearestIndex: -1, distance: null };
    const { index, distance } = this.nearest(query);
    const radius = this.radius(index);
    if (distance > radius + this.options.epsInit) {
      return { operation: 'ADD', keyIndex: this.size, nearestIndex: index, distance };
    }
    if (!labelsEqual(label, this.labels[index] as EditLabel)) {
      return { operation: 'SPLIT', keyIndex: this.size, nearestIndex: index, distance };
    }
    if (distance > radius) return { operation: 'EXPAND', keyIndex: index, nearestIndex: index, distance };
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
      this.setRadius(nearestIndex, roundUpToFloat32(distance));
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
    }
  }

  private setRadius(index: number, radius: number): void {
    this.radii.write(index, [radius]);
  }
}
