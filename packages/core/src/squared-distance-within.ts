/**
 * The exact squared distance of a query row and a key row (float64, dimension order: `exactSquaredDistance`'s
 * bits), or a partial sum above `limit` as soon as one appears — adding non-negative terms never makes a float64
 * sum smaller, so such a key is farther than `limit` whatever the rest adds, and a key whose exact sum equals
 * `limit` is always summed to the end. Unrolled by four, summed left to right like the plain loop.
 *
 * The one exact distance loop of every host search (the pivot index, the ball tree, the cpu backend's
 * brute-force `nearestKey` and `lookup`): a caller keeping the first of equal keys takes a key only when the
 * result is `< limit`, one that must see ties takes `<= limit`. A NaN never stops the sum and never passes
 * either test.
 */
export function squaredDistanceWithin(
  queries: Float32Array,
  queryOffset: number,
  keys: Float32Array,
  keyOffset: number,
  width: number,
  limit: number,
): number {
  const unrolledEnd = width - (width % 4);
  let sum = 0;
  let column = 0;
  while (column < unrolledEnd && !(sum > limit)) {
    const query = queryOffset + column;
    const key = keyOffset + column;
    const difference0 = (queries[query] as number) - (keys[key] as number);
    const difference1 = (queries[query + 1] as number) - (keys[key + 1] as number);
    const difference2 = (queries[query + 2] as number) - (keys[key + 2] as number);
    const difference3 = (queries[query + 3] as number) - (keys[key + 3] as number);
    sum =
      sum +
      difference0 * difference0 +
      difference1 * difference1 +
      difference2 * difference2 +
      difference3 * difference3;
    column += 4;
  }
  if (sum > limit) return sum;
  for (; column < width; column++) {
    const difference = (queries[queryOffset + column] as number) - (keys[keyOffset + column] as number);
    sum = sum + difference * difference;
  }
  return sum;
}
