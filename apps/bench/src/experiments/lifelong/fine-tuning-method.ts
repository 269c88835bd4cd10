import {
  type EditLabel,
  type GraceBackend,
  type SequentialModel,
  SuffixExecutor,
  type Tensor,
  trainSequentialModel,
} from '@grace/core';
import type { EditingMethod } from './editing-method.js';

/** How inputs and labels of a task map onto a sequential model's rows and class ids. */
export interface SequentialTask<Input> {
  readonly model: SequentialModel;
  features(input: Input): Float32Array;
  classOf(label: EditLabel): number;
  labelOf(classId: number): EditLabel;
}

/**
 * Continual fine-tuning of one layer, the baseline of the paper: each error is fixed by a few Adam steps on
 * that layer's weights with that one example. It fixes edits but drifts the whole model, which is what GRACE
 * avoids.
 */
export function fineTuningMethod<Input>(
  backend: GraceBackend,
  task: SequentialTask<Input>,
  options: { readonly layer: number; readonly steps: number; readonly learningRate: number },
): EditingMethod<Input> {
  let model = task.model;
  let executor = new SuffixExecutor(backend, model.graph({ withLoss: false }));
  const predict = async (inputs: readonly Input[]): Promise<EditLabel[]> => {
    const labels: EditLabel[] = [];
    for (let start = 0; start < inputs.length; start += 512) {
      const batch = inputs.slice(start, start + 512);
      const rows = new Float32Array(batch.length * model.inputWidth);
      for (const [row, input] of batch.entries()) rows.set(task.features(input), row * model.inputWidth);
      const input = backend.upload(rows, [batch.length, model.inputWidth]);
      let prediction: Tensor<'float32'> | undefined;
      try {
        prediction = executor.run({ feeds: { input }, outputs: ['prediction'] }).outputs.get('prediction');
        const logits = await backend.download(prediction as Tensor<'float32'>);
        labels.push(
          ...model
            .decodePredictions(logits, (prediction as Tensor).shape)
            .map((id) => task.labelOf(id as number)),
        );
      } finally {
        if (prediction !== undefined) backend.dispose(prediction);
        backend.dispose(input);
      }
    }
    return labels;
  };
  return {
    name: `fine-tuning layer${options.layer}`,
    predict,
    edit: async (example) => {
      const started = performance.now();
      ({ model } = await trainSequentialModel(model, {
        backend,
        inputs: [task.features(example.input)],
        labels: [task.classOf(example.label)],
        epochs: options.steps,
        learningRate: options.learningRate,
        layers: [options.layer],
      }));
      executor.dispose();
      executor = new SuffixExecutor(backend, model.graph({ withLoss: false }));
      const milliseconds = performance.now() - started;
      const [after] = await predict([example.input]);
      return { fixed: after === example.label, milliseconds };
    },
    keys: () => null,
    dispose: () => executor.dispose(),
  };
}
