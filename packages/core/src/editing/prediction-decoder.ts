import { GraceError } from '../errors.js';
import type { EditLabel } from '../labels.js';
import type { Shape } from '../tensor.js';

/** Turns a prediction read back to the host, `[B, ...]`, into one label per row. */
export type PredictionDecoder = (prediction: Float32Array, shape: Shape) => EditLabel[];

/** The losses a classifier head is trained with, as model loaders name them. */
export type ClassifierLoss = 'softmax-cross-entropy' | 'sigmoid-cross-entropy' | 'mean-squared-error';

/** What the prediction output holds: the loss's input (`logits`) or the activation after it (`probabilities`). */
export type PredictionScale = 'logits' | 'probabilities';

/** The class id with the largest score per row (the first on ties), over the last axis. */
export function decodeArgMax(prediction: Float32Array, shape: Shape): number[] {
  const width = shape.at(-1) as number;
  return Array.from({ length: width === 0 ? 0 : prediction.length / width }, (_, row) => {
    let best = 0;
    for (let index = 1; index < width; index++)
      if ((prediction[row * width + index] as number) > (prediction[row * width + best] as number))
        best = index;
    return best;
  });
}

/**
 * The decoding that matches the loss a head is trained with, so that "fixed" means what the loss optimised:
 * - `softmax-cross-entropy`: arg-max over the last axis;
 * - `sigmoid-cross-entropy` with one output `[B, 1]`: class 1 where the logit is > 0 (probability > 0.5),
 *   else class 0 — arg-max over one column would say 0 for everything;
 * - `mean-squared-error`: arg-max, the convention of regression heads used as classifiers.
 *
 * A sigmoid head with several outputs is multi-label, which no single class id describes: decoding it is a
 * `INVALID_ARGUMENT` error that asks for the caller's own decoder.
 */
export function predictionDecoderFor(loss: ClassifierLoss, scale: PredictionScale): PredictionDecoder {
  if (loss !== 'sigmoid-cross-entropy') return decodeArgMax;
  const threshold = scale === 'logits' ? 0 : 0.5;
  return (prediction, shape) => {
    const width = shape.at(-1);
    if (width !== 1) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        `a sigmoid head with ${String(width)} outputs is multi-label: pass decodePredictions to say what a label is`,
        { shape },
      );
    }
    return Array.from(prediction, (score) => (score > threshold ? 1 : 0));
  };
}
