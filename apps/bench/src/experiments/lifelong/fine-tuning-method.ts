import type { EditLabel, GraceBackend, SequentialModel } from '@grace/core';
import type { EditingMethod } from './editing-method.js';
import { graphFineTuningMethod } from './graph-fine-tuning-method.js';

/** How inputs and labels of a task map onto a sequential model's rows and class ids. */
export interface SequentialTask<Input> {
  readonly model: SequentialModel;
  features(input: Input): Float32Array;
  classOf(label: EditLabel): number;
  labelOf(classId: number): EditLabel;
}

/**
 * Continual fine-tuning of one layer of a sequential model, the baseline of the paper: each error is fixed by
 * a few Adam steps on that layer's weights with that one example. It fixes edits but drifts the whole model,
 * which is what GRACE avoids. The general graph form does the work; this only describes the model as a graph.
 */
export function fineTuningMethod<Input>(
  backend: GraceBackend,
  task: SequentialTask<Input>,
  options: { readonly layer: number; readonly steps: number; readonly learningRate: number },
): EditingMethod<Input> {
  const { model } = task;
  return graphFineTuningMethod(
    backend,
    {
      graph: model.graph(),
      featureInput: 'input',
      width: model.inputWidth,
      parameters: model.parameterNames(options.layer, options.layer + 1),
      features: async (inputs) => {
        const rows = new Float32Array(inputs.length * model.inputWidth);
        for (const [row, input] of inputs.entries()) rows.set(task.features(input), row * model.inputWidth);
        return rows;
      },
      targets: (labels) => model.encodeTargets(labels.map((label) => task.classOf(label))),
      decode: (prediction, shape) =>
        model.decodePredictions(prediction, shape).map((classId) => task.labelOf(classId as number)),
    },
    { name: `fine-tuning layer${options.layer}`, steps: options.steps, learningRate: options.learningRate },
  );
}
