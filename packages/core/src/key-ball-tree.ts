import { GraceError } from './errors.js';
import { exactSquaredDistance } from './exact-nearest-key.js';
import { squaredDistanceWithin } from './squared-distance-within.js';

/**
 * An exact GRACE lookup that skips work: a ball tree over the keys whose nodes also bound the keys' balls.
 *
 * GRACE's answer for a query is the nearest key (ties to the lowest index) when the query lies in that key's
 * ball (`fround(√s) ≤ r`, `s` the exact squared distance), else "defer". If the query is in no ball at all, the
 * answer is "defer" whatever the nearest key is, and most queries of a real stream are. So the tree first asks
 * "can any ball hold q?", skipping every node whose covering radius `max(‖k − c‖ + r)` the query is farther
 * from than; only when some ball holds q does it look for the exact nearest key, by branch and bound
 * (`‖q − c‖ − max ‖k − c‖` bounds every key of a node from below). Every pruning test carries a margin for the
 * float64 arithmetic of the distances to the centers (ε) and for the float32 rounding of the reported distance,
 * and NaN never prunes, so the answers are the brute-force ones, bit for bit — only the work differs.
 *
 * Built once for a fixed codebook (`O(N·D·log N)`); a codebook that changes needs a new tree.
 */
export interface KeyBallTree {
  readonly keyCount: number;
  readonly width: number;
  /**
   * `queries [B, D]` → `hitIndex [B]`: the firing key of each row, -1 where it defers, exactly as a backend's
   * `lookup` reports it; `distanceEvaluations` counts the query-key and query-center distances computed (a
   * brute-force search computes `B·N`).
   */
  firingKeys(queries: Float32Array, batch: number): { hitIndex: Int32Array; distanceEvaluations: number };
}

/** Options of {@link buildKeyBallTree}. */
export interface KeyBallTreeOptions {
  /** Most keys in a leaf. Default 32. */
  readonly leafSize?: number;
}

interface BallNode {
  readonly center: Float64Array;
  /** `max ‖k − c‖` over the node's keys, rounded up by ε. */
  readonly keyRadius: number;
  /** `max (‖k − c‖ + r)` over the node's keys, rounded up by ε and the float32 report margin. */
  readonly coverRadius: number;
  /** The node's keys are `order[start, end)`. */
  readonly start: number;
  readonly end: number;
  readonly children?: readonly [BallNode, BallNode];
}

/** A node waiting in the branch and bound, with the query's distance to its center. */
interface PendingNode {
  readonly node: BallNode;
  readonly distance: number;
}

/** The float32 rounding of a reported distance may bring a true distance of up to `r·(1 + 2⁻²³)` down to r. */
const reportMargin = 1 + 2 ** -22;
/** A squared distance above `r²·fireLimit` reports a float32 distance above r (with room for float64 sqrt). */
const fireLimit = 1 + 2 ** -20;

/**
 * Builds the tree over `keys [N, D]` and `radii [N]` (row-major float32, copied by reference: the caller must
 * not change them while the tree is in use).
 *
 * @throws GraceError `INVALID_ARGUMENT` when the array lengths do not match N and D, or leafSize < 1.
 */
export function buildKeyBallTree(
  keys: Float32Array,
  radii: Float32Array,
  keyCount: number,
  width: number,
  options: KeyBallTreeOptions = {},
): KeyBallTree {
  const leafSize = options.leafSize ?? 32;
  if (
    keys.length !== keyCount * width ||
    radii.length !== keyCount ||
    !Number.isInteger(leafSize) ||
    leafSize < 1
  ) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      'buildKeyBallTree needs keys [N, D], radii [N] and leafSize ≥ 1',
      {
        keys: keys.length,
        radii: radii.length,
        keyCount,
        width,
        leafSize,
      },
    );
  }
  // ε: the relative error of a float64 Euclidean distance over D float32/float64 coordinates, with room.
  const epsilon = (2 * width + 16) * 2 ** -53;
  const order = Int32Array.from({ length: keyCount }, (_, key) => key);
  const distanceTo = (key: number, center: Float64Array): number =>
    Math.sqrt(exactSquaredDistance(keys, key * width, center, 0, width));

  const build = (start: number, end: number): BallNode => {
    const center = new Float64Array(width);
    for (let position = start; position < end; position++) {
      const offset = (order[position] as number) * width;
      for (let column = 0; column < width; column++) center[column] += keys[offset + column] as number;
    }
    for (let column = 0; column < width; column++) center[column] /= end - start;
    let keyRadius = 0;
    let coverRadius = 0;
    let farthest = order[start] as number;
    let farthestDistance = -1;
    for (let position = start; position < end; position++) {
      const key = order[position] as number;
      const distance = distanceTo(key, center);
      // A NaN radius never fires and a NaN distance never wins: both are left out of the maxima. (A NaN key
      // makes the center NaN, and a NaN distance to the center prunes nothing.)
      if (distance > keyRadius) keyRadius = distance;
      if (distance > farthestDistance) {
        farthest = key;
        farthestDistance = distance;
      }
      const cover = distance * (1 + epsilon) + (radii[key] as number) * reportMargin;
      if (cover > coverRadius) coverRadius = cover;
    }
    const node = {
      center,
      keyRadius: keyRadius * (1 + epsilon),
      coverRadius: coverRadius * (1 + epsilon),
      start,
      end,
    };
    if (end - start <= leafSize) return node;
    // Split along the line from the key farthest from the center to the key farthest from that one.
    const anchor = new Float64Array(keys.subarray(farthest * width, (farthest + 1) * width));
    let opposite = farthest;
    let oppositeDistance = -1;
    for (let position = start; position < end; position++) {
      const key = order[position] as number;
      const distance = distanceTo(key, anchor);
      if (distance > oppositeDistance) {
        opposite = key;
        oppositeDistance = distance;
      }
    }
    const projection = new Map<number, number>();
    for (let position = start; position < end; position++) {
      const key = order[position] as number;
      let dot = 0;
      for (let column = 0; column < width; column++) {
        dot +=
          (keys[key * width + column] as number) *
          ((keys[opposite * width + column] as number) - (anchor[column] as number));
      }
      projection.set(key, Number.isNaN(dot) ? 0 : dot);
    }
    const sorted = Array.from(order.subarray(start, end)).sort(
      (first, second) =>
        (projection.get(first) as number) - (projection.get(second) as number) || first - second,
    );
    order.set(sorted, start);
    const middle = start + Math.floor((end - start) / 2);
    return { ...node, children: [build(start, middle), build(middle, end)] };
  };
  const root = keyCount === 0 ? undefined : build(0, keyCount);

  return {
    keyCount,
    width,
    firingKeys(queries, batch) {
      const hitIndex = new Int32Array(batch).fill(-1);
      let distanceEvaluations = 0;
      const centerDistance = (queryOffset: number, node: BallNode): number => {
        distanceEvaluations++;
        return Math.sqrt(exactSquaredDistance(queries, queryOffset, node.center, 0, width));
      };
      for (let row = 0; row < batch && root !== undefined; row++) {
        const queryOffset = row * width;
        // 1. Is the query in any key's ball? Stop at the first one.
        let inBall = -1;
        const stack: BallNode[] = [root];
        while (stack.length > 0 && inBall < 0) {
          const node = stack.pop() as BallNode;
          if (centerDistance(queryOffset, node) * (1 - epsilon) > node.coverRadius) continue;
          if (node.children !== undefined) {
            stack.push(...node.children);
            continue;
          }
          for (let position = node.start; position < node.end; position++) {
            const key = order[position] as number;
            distanceEvaluations++;
            const radius = radii[key] as number;
            // Past r²(1 + 2⁻²⁰) the reported distance rounds above r whatever is still to add: stop there.
            const squared = squaredDistanceWithin(
              queries,
              queryOffset,
              keys,
              key * width,
              width,
              radius * radius * fireLimit,
            );
            if (Math.fround(Math.sqrt(squared)) <= radius) {
              inBall = key;
              break;
            }
          }
        }
        if (inBall < 0) continue;
        // 2. Some ball holds q: the exact nearest key decides, by branch and bound from that key.
        let bestIndex = inBall;
        let bestSquared = exactSquaredDistance(queries, queryOffset, keys, inBall * width, width);
        const pending: PendingNode[] = [{ node: root, distance: centerDistance(queryOffset, root) }];
        while (pending.length > 0) {
          const { node, distance } = pending.pop() as PendingNode;
          const lower = distance * (1 - epsilon) - node.keyRadius;
          if (lower > 0 && lower * lower * (1 - epsilon) > bestSquared) continue;
          if (node.children === undefined) {
            distanceEvaluations += node.end - node.start;
            for (let position = node.start; position < node.end; position++) {
              const key = order[position] as number;
              const squared = squaredDistanceWithin(
                queries,
                queryOffset,
                keys,
                key * width,
                width,
                bestSquared,
              );
              // Ties go to the lowest index; NaN never wins.
              if (squared < bestSquared || (squared === bestSquared && key < bestIndex)) {
                bestSquared = squared;
                bestIndex = key;
              }
            }
            continue;
          }
          const [first, second] = node.children;
          const firstPending = { node: first, distance: centerDistance(queryOffset, first) };
          const secondPending = { node: second, distance: centerDistance(queryOffset, second) };
          // Visit the nearer child first (pushed last), so the bound tightens early.
          if (firstPending.distance <= secondPending.distance) pending.push(secondPending, firstPending);
          else pending.push(firstPending, secondPending);
        }
        if (Math.fround(Math.sqrt(bestSquared)) <= (radii[bestIndex] as number)) hitIndex[row] = bestIndex;
      }
      return { hitIndex, distanceEvaluations };
    },
  };
}
