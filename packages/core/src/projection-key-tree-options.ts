import { GraceError } from './errors.js';

/** Options of {@link ProjectionKeyTree}. */
export interface ProjectionKeyTreeOptions {
  /** Principal directions m (each stored point is m + 1 float32). Default `min(16, width)`. */
  readonly dimensions?: number;
  /**
   * Points per leaf at most. Default 64: bounding a point (m + 1 coordinates, usually left after a few) costs
   * less than visiting a node, so on lande's keys leaves of 48–128 walked fastest (16: 1.3× slower).
   */
  readonly leafSize?: number;
  /** Keys needed before the tree is built; fewer leave every row undecided. Default 256. */
  readonly minimumKeys?: number;
  /**
   * The tree stays off (every row undecided) while the basis misses more than this share of the keys' variance:
   * the bound would then prune too little to pay for the walk. Default 0.2.
   */
  readonly maximumResidualShare?: number;
  /**
   * A row whose walk bounds more than this share of the keys is given up as undecided (the pivot index or the
   * search answers it). Default 0.5.
   */
  readonly maximumVisitShare?: number;
}

/**
 * The options with their defaults filled in for keys of `width`; a `GraceError` (`INVALID_ARGUMENT`) for a width
 * or an option the tree cannot work with.
 */
export function resolveProjectionKeyTreeOptions(
  width: number,
  options: ProjectionKeyTreeOptions,
): Required<ProjectionKeyTreeOptions> {
  const dimensions = options.dimensions ?? Math.min(16, width);
  const leafSize = options.leafSize ?? 64;
  const minimumKeys = options.minimumKeys ?? 256;
  const maximumResidualShare = options.maximumResidualShare ?? 0.2;
  const maximumVisitShare = options.maximumVisitShare ?? 0.5;
  if (
    !Number.isInteger(width) ||
    width < 1 ||
    !Number.isInteger(dimensions) ||
    dimensions < 1 ||
    dimensions > width ||
    !Number.isInteger(leafSize) ||
    leafSize < 1 ||
    !Number.isInteger(minimumKeys) ||
    minimumKeys < 1 ||
    !(maximumResidualShare >= 0 && maximumResidualShare <= 1) ||
    !(maximumVisitShare >= 0 && maximumVisitShare <= 1)
  ) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      'a projection key tree needs width ≥ 1, 1 ≤ dimensions ≤ width, leafSize ≥ 1, minimumKeys ≥ 1 and shares in [0, 1]',
      { width, dimensions, leafSize, minimumKeys, maximumResidualShare, maximumVisitShare },
    );
  }
  return { dimensions, leafSize, minimumKeys, maximumResidualShare, maximumVisitShare };
}
