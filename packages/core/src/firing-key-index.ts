/**
 * What a pruned exact lookup offers a backend's `lookup` kernel (`PivotKeyIndex`, `ProjectionKeyTree`): for a
 * batch of query rows, the key that fires for each row it can decide exactly, and the rows it cannot.
 */
export interface FiringKeyIndex {
  /**
   * Writes `hitIndex[b]` — the exact nearest key of query row b when that key's reported distance is within its
   * radius, else -1 — for every row it decides, and returns the rows (ascending) it left undecided.
   * `queries [batch, D]`, `keys [N, D]` and `radii [N]` are row-major float32; `keys` are what the index was
   * last updated with.
   */
  firingKeys(
    queries: Float32Array,
    batch: number,
    keys: Float32Array,
    radii: Float32Array,
    hitIndex: Int32Array,
  ): number[];
}
