import {
  type GraceBackend,
  SeededRandom,
  type SequentialLayerSpecification,
  SequentialModel,
  trainSequentialModel,
} from '@grace/core';

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

/** The paper's synthetic network: 2 → 100 → ReLU → 100 → ReLU → 1, one logit for the two classes. */
export const syntheticClassifierLayers: readonly SequentialLayerSpecification[] = Object.freeze([
  { kind: 'dense', units: 100 },
  { kind: 'relu' },
  { kind: 'dense', units: 100 },
  { kind: 'relu' },
  { kind: 'dense', units: 1 },
]);

/**
 * Pre-trains the synthetic network on labelled points (seeded: the same points and seed give the same
 * weights), the starting model of the synthetic experiment and of the server's synthetic model.
 */
export async function trainSyntheticClassifier(
  backend: GraceBackend,
  points: readonly LabelledPoint[],
  options: {
    readonly seed?: number;
    readonly epochs?: number;
    readonly onEpoch?: (epoch: number) => void;
  } = {},
): Promise<SequentialModel> {
  const seed = options.seed ?? 7;
  const untrained = SequentialModel.create({
    inputWidth: 2,
    layers: syntheticClassifierLayers,
    loss: 'sigmoid-cross-entropy',
    seed,
  });
  const { model } = await trainSequentialModel(untrained, {
    backend,
    inputs: points.map((item) => [...item.point]),
    labels: points.map((item) => item.label),
    epochs: options.epochs ?? 60,
    learningRate: 1e-2,
    seed,
    ...(options.onEpoch === undefined ? {} : { onEpoch: options.onEpoch }),
  });
  return model;
}
