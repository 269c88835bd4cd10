import type { EditableModel } from '../editing/editable-model.js';
import type { EditLabel } from '../labels.js';
import type { PredictionOutput } from './editing-method.js';

/**
 * Labels of `inputs` from a method's raw prediction output, `batchSize` inputs at a time (a baseline's `predict`
 * built on its `predictionOutput`, so that labels and scores come from one path).
 */
export async function decodedPredictions<Input>(
  model: Pick<EditableModel<Input>, 'decodePredictions'>,
  predictionOutput: (inputs: readonly Input[]) => Promise<PredictionOutput>,
  inputs: readonly Input[],
  batchSize = 256,
): Promise<EditLabel[]> {
  const labels: EditLabel[] = [];
  for (let start = 0; start < inputs.length; start += batchSize) {
    const batch = inputs.slice(start, start + batchSize);
    const { data, shape } = await predictionOutput(batch);
    labels.push(...model.decodePredictions(data, shape, batch));
  }
  return labels;
}
