import { type GraceBackend, GraceError, SuffixExecutor, type Tensor } from '@grace/core';
import type * as ort from 'onnxruntime-node';
import type { OnnxEditableModel } from './load-onnx-model.js';
import { batchFeeds, type OnnxInput } from './onnx-inputs.js';

/** How closely the imported suffix IR follows onnxruntime's suffix on a batch. */
export interface SuffixVerification {
  /** Largest |IR − onnxruntime| over the prediction output. */
  readonly maximumAbsoluteDifference: number;
  readonly tolerance: number;
  readonly passed: boolean;
}

/**
 * Runs the prefix once, then both the original suffix on onnxruntime and the imported IR on `backend`, and
 * compares the prediction outputs. Call it after loading a model you have not edited before: an import that
 * folded or translated something wrongly shows up here rather than as edits that do not take.
 */
export async function verifySuffixGraph(
  model: OnnxEditableModel,
  backend: GraceBackend,
  inputs: readonly OnnxInput[],
  tolerance = 1e-4,
): Promise<SuffixVerification> {
  const prefix = await model.runPrefixSession(inputs);
  const suffixFeeds: Record<string, ort.Tensor> = {};
  for (const name of [model.cut.editPoint.output, ...model.cut.crossingTensors])
    suffixFeeds[name] = prefix[name] as ort.Tensor;
  const reference = (await model.suffixSession.run(suffixFeeds))[model.predictionOutput] as ort.Tensor;
  const executor = new SuffixExecutor(backend, model.suffix);
  const feeds: Record<string, Tensor> = {};
  try {
    for (const input of model.suffix.inputs) {
      const tensor = prefix[input.name];
      if (tensor !== undefined)
        feeds[input.name] = backend.upload(tensor.data as Float32Array, [...tensor.dims]);
    }
    const { outputs } = executor.run({ feeds, outputs: [model.predictionOutput] });
    const prediction = outputs.get(model.predictionOutput) as Tensor<'float32'>;
    const data = await backend.download(prediction);
    backend.dispose(prediction);
    const expected = reference.data as Float32Array;
    if (data.length !== expected.length) {
      throw new GraceError(
        'SHAPE_MISMATCH',
        `the IR suffix gave ${data.length} values, onnxruntime ${expected.length}`,
        {},
      );
    }
    let maximumAbsoluteDifference = 0;
    for (let index = 0; index < data.length; index++) {
      const difference = Math.abs((data[index] as number) - (expected[index] as number));
      if (!(difference <= maximumAbsoluteDifference))
        maximumAbsoluteDifference = Number.isNaN(difference) ? Number.POSITIVE_INFINITY : difference;
    }
    return { maximumAbsoluteDifference, tolerance, passed: maximumAbsoluteDifference <= tolerance };
  } finally {
    for (const tensor of Object.values(feeds)) backend.dispose(tensor);
    executor.dispose();
  }
}

/**
 * Largest |full model − (prefix session → suffix session)| over the prediction output: 0 when the cut is
 * faithful (the same kernels run on the same values, only split into two sessions).
 */
export async function verifyCut(model: OnnxEditableModel, inputs: readonly OnnxInput[]): Promise<number> {
  const prefix = await model.runPrefixSession(inputs);
  const suffixFeeds: Record<string, ort.Tensor> = {};
  for (const name of [model.cut.editPoint.output, ...model.cut.crossingTensors])
    suffixFeeds[name] = prefix[name] as ort.Tensor;
  const split = (await model.suffixSession.run(suffixFeeds))[model.predictionOutput] as ort.Tensor;

  const fullFeeds = batchFeeds(model.inputSpecs, inputs);
  const full = (await model.fullSession.run(fullFeeds))[model.modelPredictionOutput] as ort.Tensor;
  const left = split.data as Float32Array;
  const right = full.data as Float32Array;
  if (left.length !== right.length) return Number.POSITIVE_INFINITY;
  let maximum = 0;
  for (let index = 0; index < left.length; index++)
    maximum = Math.max(maximum, Math.abs((left[index] as number) - (right[index] as number)));
  return maximum;
}
