import { SeededRandom } from '@grace/core';

/**
 * The data of the paper's section 3.4 synthetic experiment (its figure 6): two 2-D Gaussian clusters, one
 * per class, for upstream training; and, as the deployment stream, a tight circle of points inside the left
 * cluster whose labels are flipped — errors of a well-trained model that GRACE must fix without touching
 * anything else.
 */
export interface LabelledPoint {
  readonly point: readonly [number, number];
  readonly label: 0 | 1;
}

export interface SyntheticData {
  readonly upstream: readonly LabelledPoint[];
  readonly edits: readonly LabelledPoint[];
  /** Centre and radius of the circle of flipped labels. */
  readonly circle: { readonly centre: readonly [number, number]; readonly radius: number };
}

export interface SyntheticDataOptions {
  readonly seed?: number;
  /** Points per cluster. Default 200. */
  readonly pointsPerCluster?: number;
  /** Points on the circle of flipped labels. Default 20. */
  readonly editCount?: number;
}

const leftCentre: readonly [number, number] = [-2, 0];
const rightCentre: readonly [number, number] = [2, 0];
const clusterSpread = 0.8;

export function makeSyntheticData(options: SyntheticDataOptions = {}): SyntheticData {
  const random = new SeededRandom(options.seed ?? 7);
  const pointsPerCluster = options.pointsPerCluster ?? 200;
  const cluster = (centre: readonly [number, number], label: 0 | 1): LabelledPoint[] =>
    Array.from({ length: pointsPerCluster }, () => ({
      point: [
        centre[0] + clusterSpread * random.normal(),
        centre[1] + clusterSpread * random.normal(),
      ] as const,
      label,
    }));
  const upstream = [...cluster(leftCentre, 0), ...cluster(rightCentre, 1)];
  // In the left cluster's flank, so the handful of upstream points near it is small and countable.
  const circle = { centre: [leftCentre[0] - 1.3, leftCentre[1] + 0.9] as const, radius: 0.15 };
  const editCount = options.editCount ?? 20;
  const edits = Array.from({ length: editCount }, (_, index): LabelledPoint => {
    const angle = (2 * Math.PI * index) / editCount + random.uniform(-0.1, 0.1);
    return {
      point: [
        circle.centre[0] + circle.radius * Math.cos(angle),
        circle.centre[1] + circle.radius * Math.sin(angle),
      ],
      label: 1,
    };
  });
  return { upstream, edits, circle };
}
