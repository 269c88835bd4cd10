import { PivotKeyIndex, ProjectionKeyTree, type RowSyncPlan, squaredNorm } from '@grace/core';
import type { CpuTensor } from './cpu-tensor.js';
import type { LookupIndexOptions } from './kernels/key-search.js';

/**
 * What the key search derives from a row mirror's rows and keeps from one lookup to the next: the keys' squared
 * norms (the norm-identity search needs them) and the pivot index (the pruned lookup). Each follows the rows
 * every sync reports, so an edit costs O(D) here too; a tensor that no mirror made has none.
 */
export interface MirrorRowData {
  /** `[N]`: `‖k‖²` of each row (float64, dimension order), current. Do not mutate. */
  squaredNorms(): Float64Array;
  /** The pivot index over the rows, current; null when the backend was made without one. */
  pivotIndex(): PivotKeyIndex | null;
  /** The projection tree over the rows, current; null when the backend was made without one. */
  projectionTree(): ProjectionKeyTree | null;
}

const rowDataByTensor = new WeakMap<CpuTensor<'float32'>, MirrorRowData>();

/** The row data of a row mirror's current tensor, if `tensor` is one. */
export function mirrorRowData(tensor: CpuTensor<'float32'>): MirrorRowData | undefined {
  return rowDataByTensor.get(tensor);
}

/** Rows changed since a follower last caught up: listed, or `'all'`. */
class PendingRows {
  private rows: Set<number> | 'all' = 'all';

  note(plan: RowSyncPlan): void {
    if (this.rows === 'all') return;
    if (plan.copyAll || plan.rows - plan.appendedFrom > 4096) {
      this.rows = 'all';
      return;
    }
    for (const row of plan.changedRows) this.rows.add(row);
    // Appended rows are listed too: a row dropped and appended again between two catch-ups is a changed row.
    for (let row = plan.appendedFrom; row < plan.rows; row++) this.rows.add(row);
  }

  take(): readonly number[] | 'all' {
    const rows = this.rows === 'all' ? 'all' : [...this.rows];
    this.rows = new Set();
    return rows;
  }
}

/** The row data of one mirror; `attach` binds it to each new tensor the mirror makes. */
export class MirrorRowDataSource implements MirrorRowData {
  private host: Float32Array = new Float32Array(0);
  private norms: { pending: PendingRows; values: Float64Array; rows: number } | null = null;
  private index: { pending: PendingRows; index: PivotKeyIndex } | null = null;
  private tree: { pending: PendingRows; tree: ProjectionKeyTree } | null = null;

  constructor(
    private readonly width: number,
    private readonly indexOptions: LookupIndexOptions,
  ) {}

  /** Bytes held for the derived data (norms, pivot index), spare capacity included. */
  get bytes(): number {
    return (
      (this.norms?.values.byteLength ?? 0) + (this.index?.index.bytes ?? 0) + (this.tree?.tree.bytes ?? 0)
    );
  }

  /** Called by every sync, after `plan` was checked: records what changed, computes nothing. */
  follow(host: Float32Array, plan: RowSyncPlan, tensor: CpuTensor<'float32'>): void {
    this.host = host;
    this.norms?.pending.note(plan);
    this.index?.pending.note(plan);
    this.tree?.pending.note(plan);
    rowDataByTensor.set(tensor, this);
  }

  squaredNorms(): Float64Array {
    this.norms ??= { pending: new PendingRows(), values: new Float64Array(0), rows: 0 };
    const norms = this.norms;
    const rows = this.host.length / this.width;
    const changed = norms.pending.take();
    if (norms.values.length < rows) {
      const grown = new Float64Array(Math.max(rows, Math.ceil(norms.values.length * 1.25)));
      grown.set(norms.values);
      norms.values = grown;
    }
    const recompute = (row: number): void => {
      norms.values[row] = squaredNorm(this.host, row, this.width);
    };
    if (changed === 'all') {
      for (let row = 0; row < rows; row++) recompute(row);
    } else {
      for (const row of changed) if (row < rows) recompute(row);
      for (let row = norms.rows; row < rows; row++) recompute(row);
    }
    norms.rows = rows;
    return norms.values.subarray(0, rows);
  }

  pivotIndex(): PivotKeyIndex | null {
    const options = this.indexOptions.pivots;
    if (options === null) return null;
    this.index ??= { pending: new PendingRows(), index: new PivotKeyIndex(this.width, options) };
    this.index.index.update(this.host, this.index.pending.take());
    return this.index.index;
  }

  projectionTree(): ProjectionKeyTree | null {
    const options = this.indexOptions.projection;
    if (options === null) return null;
    this.tree ??= { pending: new PendingRows(), tree: new ProjectionKeyTree(this.width, options) };
    this.tree.tree.update(this.host, this.tree.pending.take());
    return this.tree.tree;
  }
}
