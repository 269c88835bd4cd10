/**
 * The median distance from each row to its nearest other row (rows at distance 0, duplicates, are skipped): the
 * scale that GRACE's radii are set in.
 */
export function medianNearestNeighbour(rows: readonly Float32Array[]): number {
  const nearest = rows.map((row, index) => {
    let best = Number.POSITIVE_INFINITY;
    rows.forEach((other, otherIndex) => {
      if (otherIndex === index) return;
      let sum = 0;
      for (let column = 0; column < row.length; column++)
        sum += ((row[column] as number) - (other[column] as number)) ** 2;
      if (sum > 0) best = Math.min(best, sum);
    });
    return Math.sqrt(best);
  });
  return nearest.sort((left, right) => left - right)[Math.floor(nearest.length / 2)] as number;
}
