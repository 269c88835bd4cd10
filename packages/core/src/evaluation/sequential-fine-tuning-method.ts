import type { GraceBackend } from '../backend.js';
import type { EditLabel } from '../labels.js';
import type { SequentialLayerReference, SequentialModel } from '../models/sequential-model.js';
import type { EditingMethod } from './editing-method.js';
import { graphFineTuningMethod } from './graph-fine-tuning-method.js';

/** How inputs and labels of a task map onto a sequential model's rows and class ids. */
export interface SequentialTask<Input> {
  readonly model: SequentialModel;
  /** The model input `[inputWidth]` of one input. */
  features(input: Input): Float32Array;
  classOf(label: EditLabel): number;
  labelOf(classId: number): EditLabel;
}

/**
 * Continual fine-tuning of one dense layer of a {@link SequentialModel}, named like every edited layer (its
 * name, e.g. `dense1`, or its index): {@link graphFineTuningMethod} over the model's graph. The method is
 * named `fine-tuning <layer name>`.
 *
 * @throws GraceError `INVALID_ARGUMENT` when the layer is not a dense layer of the model.
 */
export function sequentialFineTuningMethod<Input>(
  backend: GraceBackend,
  task: SequentialTask<Input>,
  options: {
    readonly layer: SequentialLayerReference;
    readonly steps: number;
    readonly learningRate: number;
  },
): EditingMethod<Input> {
  const { model } = task;
  const index = model.denseLayerIndex(options.layer);
  const name = (model.layers[index] as { name: string }).name;
  return graphFineTuningMethod(
    backend,
    {
      graph: model.graph(),
      featureInput: 'input',
      width: model.inputWidth,
      parameters: model.parameterNames(index, index + 1),
      features: async (inputs) => {
        const rows = new Float32Array(inputs.length * model.inputWidth);
        for (const [row, input] of inputs.entries()) rows.set(task.features(input), row * model.inputWidth);
        return rows;
      },
      targets: (labels) => model.encodeTargets(labels.map((label) => task.classOf(label))),
      decode: (prediction, shape) =>
        model.decodePredictions(prediction, shape).map((classId) => task.labelOf(classId as number)),
    },
    { name: `fine-tuning ${name}`, steps: options.steps, learningRate: options.learningRate },
  );
}
