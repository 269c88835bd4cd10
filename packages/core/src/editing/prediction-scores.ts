import type { SuffixGraph } from '../suffix/suffix-graph.js';
import type { Shape } from '../tensor.js';

/**
 * What the numbers of {@link PredictionScores} are: `probability` when the model's loss says how its output
 * becomes probabilities (softmax over each row for a softmax cross-entropy head, the logistic sigmoid of each
 * number for a sigmoid cross-entropy head), `logit` (the raw prediction output) otherwise.
 */
export type ScoreKind = 'probability' | 'logit';

/** Scores of a batch of predictions, like transformers.js's `{ label, score }`. */
export interface PredictionScores {
  readonly kind: ScoreKind;
  /**
   * `[B]`: the score of the top class of each row (the highest probability or logit; for a one-output sigmoid
   * head, the probability of the side the output falls on, `max(p, 1 − p)`).
   */
  readonly scores: Float32Array;
  /** `[B, C]` row-major: every class's score (the prediction output's last axis); `[B, 1]` for one output. */
  readonly classScores: Float32Array;
  readonly classCount: number;
}

/**
 * How a graph's prediction output turns into probabilities, read from the loss node that consumes it: the
 * loss that trained the head is the one honest source of "these numbers are logits of a softmax".
 */
export function scoreKindOf(graph: SuffixGraph, predictionOutput: string): 'softmax' | 'sigmoid' | 'logit' {
  const loss = graph.nodes.find(
    (node) => node.inputs[0] === predictionOutput && node.opType.endsWith('Loss'),
  );
  if (loss?.opType === 'SoftmaxCrossEntropyLoss') return 'softmax';
  if (loss?.opType === 'SigmoidCrossEntropyLoss') return 'sigmoid';
  return 'logit';
}

/** Scores of a prediction output `[B, ..., C]` read back to the host (rows are everything but the last axis). */
export function predictionScores(
  prediction: Float32Array,
  shape: Shape,
  head: 'softmax' | 'sigmoid' | 'logit',
): PredictionScores {
  const classCount = shape.length < 2 ? 1 : (shape.at(-1) as number);
  const rows = classCount === 0 ? 0 : prediction.length / classCount;
  const classScores = new Float32Array(prediction.length);
  const scores = new Float32Array(rows);
  for (let row = 0; row < rows; row++) {
    const logits = prediction.subarray(row * classCount, (row + 1) * classCount);
    const target = classScores.subarray(row * classCount, (row + 1) * classCount);
    if (head === 'softmax') {
      const largest = largestOf(logits);
      let total = 0;
      for (const [index, logit] of logits.entries()) {
        target[index] = Math.exp(logit - largest);
        total += target[index] as number;
      }
      for (let index = 0; index < classCount; index++) target[index] = (target[index] as number) / total;
    } else if (head === 'sigmoid') {
      for (const [index, logit] of logits.entries()) target[index] = 1 / (1 + Math.exp(-logit));
    } else {
      target.set(logits);
    }
    const top = largestOf(target);
    scores[row] = head === 'sigmoid' && classCount === 1 ? Math.max(top, 1 - top) : top;
  }
  return { kind: head === 'logit' ? 'logit' : 'probability', scores, classScores, classCount };
}

/** The scores of consecutive batches as one, in order. */
export function concatenatePredictionScores(
  batches: readonly PredictionScores[],
  head: 'softmax' | 'sigmoid' | 'logit',
): PredictionScores {
  const [first] = batches;
  if (first === undefined || batches.length === 1)
    return first ?? predictionScores(new Float32Array(), [0, 0], head);
  const join = (parts: readonly Float32Array[]): Float32Array => {
    const joined = new Float32Array(parts.reduce((total, part) => total + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      joined.set(part, offset);
      offset += part.length;
    }
    return joined;
  };
  return {
    ...first,
    scores: join(batches.map((batch) => batch.scores)),
    classScores: join(batches.map((batch) => batch.classScores)),
  };
}

function largestOf(values: Float32Array): number {
  let largest = Number.NEGATIVE_INFINITY;
  for (const value of values) if (value > largest) largest = value;
  return largest;
}
