import {
  type GraceBackend,
  type SequentialLayerSpecification,
  SequentialModel,
  SuffixExecutor,
  type Tensor,
  trainSequentialModel,
} from '@grace/core';
import type { UseLiteModel } from '../use/load-use-lite-model.js';
import type { PooledEmbeddingCache } from '../use/pooled-embedding-cache.js';
import { useLiteEmbeddingGraph } from '../use/use-lite-graph.js';
import { classIdOf, type SentenceClassifier } from './sentence-classifier.js';

export interface SentenceClassifierTrainingOptions<Label extends string> {
  readonly backend: GraceBackend;
  readonly encoder: UseLiteModel;
  readonly pooling: PooledEmbeddingCache;
  /** The head's classes, in output order. */
  readonly classes: readonly Label[];
  /** The upstream texts (as the classifier reads them) and their labels. */
  readonly texts: readonly string[];
  readonly labels: readonly Label[];
  /** Width of a ReLU hidden layer in the head; 0 (default) makes the head one dense 512 → classes. */
  readonly hiddenUnits?: number;
  /** Default 30. */
  readonly epochs?: number;
  /** Adam learning rate, default 1e-2. */
  readonly learningRate?: number;
  readonly seed?: number;
  readonly onEpoch?: (epoch: number, meanLoss: number) => void;
}

/** `[B, 512]` row-major: the encoder's embeddings of pooled states, computed by the graph IR on the backend. */
export async function embeddingsFromPooled(
  backend: GraceBackend,
  encoder: UseLiteModel,
  pooled: Float32Array,
): Promise<Float32Array> {
  const rows = pooled.length / encoder.width;
  if (rows === 0) return new Float32Array(0);
  const executor = new SuffixExecutor(backend, useLiteEmbeddingGraph(encoder));
  const input = backend.upload(pooled, [rows, encoder.width]);
  try {
    const { outputs } = executor.run({ feeds: { pooled: input }, outputs: ['embedding'] });
    const embedding = outputs.get('embedding') as Tensor<'float32'>;
    try {
      return await backend.download(embedding);
    } finally {
      backend.dispose(embedding);
    }
  } finally {
    backend.dispose(input);
    executor.dispose();
  }
}

/**
 * Trains the classifier's head on upstream texts: the frozen encoder embeds them (pooled once, cached), the
 * head learns the classes from the embeddings. This is the "deployed model" of a drift experiment; its
 * mistakes on later data are what gets edited.
 */
export async function trainSentenceClassifier<Label extends string>(
  options: SentenceClassifierTrainingOptions<Label>,
): Promise<SentenceClassifier<Label>> {
  const { backend, encoder, pooling, classes } = options;
  const hiddenUnits = options.hiddenUnits ?? 0;
  const embeddings = await embeddingsFromPooled(backend, encoder, await pooling.pool(options.texts));
  const inputs = options.texts.map((_, row) =>
    embeddings.subarray(row * encoder.width, (row + 1) * encoder.width),
  );
  const layers: SequentialLayerSpecification[] =
    hiddenUnits > 0
      ? [{ kind: 'dense', units: hiddenUnits }, { kind: 'relu' }, { kind: 'dense', units: classes.length }]
      : [{ kind: 'dense', units: classes.length }];
  const initial = SequentialModel.create({
    inputWidth: encoder.width,
    layers,
    loss: 'softmax-cross-entropy',
    seed: options.seed ?? 0,
  });
  const { model: head } = await trainSequentialModel(initial, {
    backend,
    inputs,
    labels: options.labels.map((label) => classIdOf(classes, label)),
    epochs: options.epochs ?? 30,
    learningRate: options.learningRate ?? 1e-2,
    seed: options.seed ?? 0,
    ...(options.onEpoch === undefined ? {} : { onEpoch: options.onEpoch }),
  });
  return { encoder, pooling, head, classes };
}
