import {
  type EditableModel,
  type EditLabel,
  type GraceBackend,
  GraceError,
  type GraphNode,
  type SequentialModel,
  SuffixExecutor,
  type SuffixGraph,
  type Tensor,
} from '@grace/core';
import { textDigest } from '@grace/models';
import type { UseLiteModel } from '../use/load-use-lite-model.js';
import type { PooledEmbeddingCache } from '../use/pooled-embedding-cache.js';
import { useLiteHidden, useLiteTail } from '../use/use-lite-graph.js';

/**
 * A sentence classifier: USE-lite (frozen) embeds a text, a small head trained by the project maps the embedding
 * to one of `classes` (a spam filter, a party classifier). What GRACE edits in the USE-lite experiments.
 */
export interface SentenceClassifier<Label extends string = string> {
  readonly encoder: UseLiteModel;
  /** Embeds texts up to the pooling (on tfjs), once per text. */
  readonly pooling: PooledEmbeddingCache;
  /** `[512] → ... → [classes]` over the L2-normalised embedding, softmax cross-entropy. */
  readonly head: SequentialModel;
  /** The head's classes, in output order. */
  readonly classes: readonly Label[];
}

/** The layer GRACE edits at the pooled edit point, in codebook files. */
export const sentenceClassifierLayerId = 'use-lite.hidden_layers.tanh_layer_0';

/**
 * Copies a sequential head's graph under a `head.` scope with its input renamed, so it can follow the encoder
 * in one graph; `target`, `prediction` and `loss` keep their names.
 */
function scopedHead(head: SequentialModel, input: string): SuffixGraph {
  const graph = head.graph();
  const kept = new Set(['target', 'prediction', 'loss']);
  const rename = (name: string): string => {
    if (name === 'input') return input;
    return kept.has(name) || name === '' ? name : `head.${name}`;
  };
  return {
    ...graph,
    inputs: graph.inputs.filter((value) => value.name !== 'input'),
    initializers: graph.initializers.map((initializer) => ({
      ...initializer,
      name: rename(initializer.name),
    })),
    nodes: graph.nodes.map(
      (node): GraphNode => ({
        ...node,
        name: `head.${node.name}`,
        inputs: node.inputs.map(rename),
        outputs: node.outputs.map(rename),
      }),
    ),
  };
}

/**
 * The classifier from the encoder's hidden dense output (`activation` `[batch, 512]`) on: tanh, L2 norm, head,
 * loss. The suffix GRACE trains values through.
 */
export function sentenceClassifierSuffix(filter: SentenceClassifier): SuffixGraph {
  const tail = useLiteTail(filter.encoder, 'activation', 'embedding');
  const head = scopedHead(filter.head, 'embedding');
  return {
    name: 'sentence-classifier-after-hidden',
    inputs: [
      { name: 'activation', dtype: 'float32', shape: ['batch', filter.encoder.width] },
      ...head.inputs,
    ],
    initializers: [...tail.initializers, ...head.initializers],
    nodes: [...tail.nodes, ...head.nodes],
    outputs: ['prediction', 'loss'],
  };
}

/**
 * The classifier from the pooling on (`pooled` `[batch, 512]`): the hidden dense layer, then
 * {@link sentenceClassifierSuffix}. What continual fine-tuning of the edited layer trains.
 */
export function sentenceClassifierGraph(filter: SentenceClassifier): SuffixGraph {
  const hidden = useLiteHidden(filter.encoder, 'pooled', 'activation');
  const suffix = sentenceClassifierSuffix(filter);
  return {
    name: 'sentence-classifier-after-pooling',
    inputs: [
      { name: 'pooled', dtype: 'float32', shape: ['batch', filter.encoder.width] },
      ...suffix.inputs.filter((value) => value.name !== 'activation'),
    ],
    initializers: [...hidden.initializers, ...suffix.initializers],
    nodes: [...hidden.nodes, ...suffix.nodes],
    outputs: suffix.outputs,
  };
}

/** The class id of a label, or an INVALID_ARGUMENT error naming it and the classes. */
export function classIdOf(classes: readonly string[], label: EditLabel): number {
  const found = typeof label === 'string' ? classes.indexOf(label) : -1;
  if (found === -1) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `${JSON.stringify(label)} is not one of ${classes.map((name) => `'${name}'`).join(', ')}`,
      { label, classes },
    );
  }
  return found;
}

/** Refuses a head that does not map the encoder's width to one output per class (`SHAPE_MISMATCH`). */
export function checkClassifierHead(classifier: SentenceClassifier): void {
  const { encoder, head, classes } = classifier;
  if (head.inputWidth !== encoder.width || head.outputWidth !== classes.length) {
    throw new GraceError(
      'SHAPE_MISMATCH',
      `the head maps ${head.inputWidth} → ${head.outputWidth}; this classifier needs ${encoder.width} → ${classes.length} (${classes.join(', ')})`,
      { inputWidth: head.inputWidth, outputWidth: head.outputWidth, classes },
    );
  }
}

/**
 * How a classifier's labels become loss targets and its predictions labels, on any edit point (the head is
 * the same after the pooled and the token-level cut); inputs are digested as text.
 */
export function classifierLabelCodec<Label extends string>(
  classifier: SentenceClassifier<Label>,
): Pick<EditableModel<string>, 'encodeTargets' | 'decodePredictions' | 'digestInput'> {
  const { head, classes } = classifier;
  return {
    encodeTargets(backend, labels) {
      const { data, shape } = head.encodeTargets(labels.map((label) => classIdOf(classes, label)));
      return backend.upload(data, shape);
    },
    decodePredictions: (prediction, shape) =>
      head.decodePredictions(prediction, shape).map((id) => classes[id as number] as Label),
    digestInput: (text) => textDigest(text),
  };
}

/**
 * The classifier as an {@link EditableModel} over raw text, cut at USE-lite's own hidden dense layer
 * (`tanh_layer_0`, 512 → 512): keys are the pooled sentence states (`KonaTransformer/div`), values replace
 * the layer's pre-tanh output. The transformer runs frozen on tfjs; the hidden layer, tail and head run on the
 * editor's backend.
 */
export function sentenceClassifierEditableModel<Label extends string>(
  filter: SentenceClassifier<Label>,
): EditableModel<string> {
  const { encoder } = filter;
  checkClassifierHead(filter);
  const hidden = useLiteHidden(encoder, 'pooled', 'activation');
  const hiddenGraph: SuffixGraph = {
    name: 'use-lite-hidden',
    inputs: [{ name: 'pooled', dtype: 'float32', shape: ['batch', encoder.width] }],
    initializers: hidden.initializers,
    nodes: hidden.nodes,
    outputs: ['activation'],
  };
  const executors = new WeakMap<GraceBackend, SuffixExecutor>();
  const executorOn = (backend: GraceBackend): SuffixExecutor => {
    let executor = executors.get(backend);
    if (executor === undefined) {
      executor = new SuffixExecutor(backend, hiddenGraph);
      executors.set(backend, executor);
    }
    return executor;
  };
  return {
    layerId: sentenceClassifierLayerId,
    keyDimension: encoder.width,
    valueDimension: encoder.width,
    suffix: sentenceClassifierSuffix(filter),
    activationInput: 'activation',
    targetInput: 'target',
    predictionOutput: 'prediction',
    lossOutput: 'loss',
    async runPrefix(backend, texts) {
      const pooled = backend.upload(await filter.pooling.pool(texts), [texts.length, encoder.width]);
      try {
        const { outputs } = executorOn(backend).run({ feeds: { pooled }, outputs: ['activation'] });
        return {
          layerInput: pooled,
          layerOutput: outputs.get('activation') as Tensor<'float32'>,
          extras: {},
        };
      } catch (error) {
        backend.dispose(pooled);
        throw error;
      }
    },
    ...classifierLabelCodec(filter),
  };
}
