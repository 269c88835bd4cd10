import type { GraceBackend } from '../backend.js';
import type { EditLabel } from '../labels.js';
import { trainParameters, withTrainedParameters } from '../models/parameter-trainer.js';
import { SuffixExecutor } from '../suffix/suffix-executor.js';
import type { SuffixGraph } from '../suffix/suffix-graph.js';
import type { Tensor } from '../tensor.js';
import type { EditingMethod } from './editing-method.js';

/** A model given as one graph from a feature row on, for fine-tuning some of its weights. */
export interface GraphTask<Input> {
  /** Input `featureInput` `[batch, width]`, outputs `prediction` and scalar `loss` (input `target`). */
  readonly graph: SuffixGraph;
  readonly featureInput: string;
  readonly width: number;
  /** The initializers fine-tuning trains (the edited layer's weight and bias). */
  readonly parameters: readonly string[];
  /** `[B, width]` row-major features of a batch. */
  features(inputs: readonly Input[]): Promise<Float32Array>;
  targets(labels: readonly EditLabel[]): {
    readonly data: Float32Array | Int32Array;
    readonly shape: readonly number[];
  };
  decode(prediction: Float32Array, shape: readonly number[]): EditLabel[];
}

/**
 * Continual fine-tuning, the paper's main baseline, for any model given as one graph (e.g. a layer inside a
 * sentence encoder, with normalisations after it): each error is fixed by a few Adam steps on some weights
 * (usually the layer GRACE would edit) with that one example. It fixes edits but drifts the whole model, which
 * is what GRACE avoids. Weights are replaced after each edit; the caller's graph is never changed.
 */
export function graphFineTuningMethod<Input>(
  backend: GraceBackend,
  task: GraphTask<Input>,
  options: { readonly name: string; readonly steps: number; readonly learningRate: number },
): EditingMethod<Input> {
  let graph = task.graph;
  let executor = new SuffixExecutor(backend, graph);
  const predict = async (inputs: readonly Input[]): Promise<EditLabel[]> => {
    const labels: EditLabel[] = [];
    for (let start = 0; start < inputs.length; start += 512) {
      const batch = inputs.slice(start, start + 512);
      const input = backend.upload(await task.features(batch), [batch.length, task.width]);
      let prediction: Tensor<'float32'> | undefined;
      try {
        prediction = executor
          .run({ feeds: { [task.featureInput]: input }, outputs: ['prediction'] })
          .outputs.get('prediction') as Tensor<'float32'>;
        labels.push(...task.decode(await backend.download(prediction), prediction.shape));
      } finally {
        if (prediction !== undefined) backend.dispose(prediction);
        backend.dispose(input);
      }
    }
    return labels;
  };
  return {
    name: options.name,
    predict,
    edit: async (example) => {
      const features = await task.features([example.input]);
      const targets = task.targets([example.label]);
      const result = await trainParameters({
        backend,
        graph,
        lossOutput: 'loss',
        parameters: task.parameters,
        batches: () => [
          {
            [task.featureInput]: backend.upload(features, [1, task.width]),
            target: backend.upload(targets.data, targets.shape),
          },
        ],
        epochs: options.steps,
        learningRate: options.learningRate,
      });
      graph = withTrainedParameters(graph, result.parameters);
      executor.dispose();
      executor = new SuffixExecutor(backend, graph);
    },
    keys: () => null,
    dispose: () => executor.dispose(),
  };
}
